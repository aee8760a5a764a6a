/** A minimal ustar archive of a folder of small files: how submissions are copied into a container. */
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'

const BLOCK = 512

/** A tar archive of `folder`'s contents (folders and regular files), with paths relative to it. */
export async function tarFolder(folder: string): Promise<Buffer> {
  const blocks: Buffer[] = []
  const entries = (await readdir(folder, { recursive: true, withFileTypes: true })).sort((a, b) =>
    join(a.parentPath, a.name).localeCompare(join(b.parentPath, b.name)),
  )
  for (const entry of entries) {
    const name = join(entry.parentPath, entry.name).slice(folder.length + 1)
    if (entry.isDirectory()) blocks.push(header(`${name}/`, 0, '5', 0o755))
    else if (entry.isFile()) {
      const content = await readFile(join(entry.parentPath, entry.name))
      blocks.push(header(name, content.length, '0', 0o644), content, Buffer.alloc((BLOCK - (content.length % BLOCK)) % BLOCK))
    }
  }
  blocks.push(Buffer.alloc(2 * BLOCK))
  return Buffer.concat(blocks)
}

function header(name: string, size: number, type: '0' | '5', mode: number): Buffer {
  if (Buffer.byteLength(name) > 100) throw new Error(`tar: path too long for a ustar header: ${name}`)
  const block = Buffer.alloc(BLOCK)
  const put = (offset: number, length: number, text: string) => block.write(text, offset, length, 'utf8')
  const octal = (value: number, length: number) => value.toString(8).padStart(length - 1, '0') + '\0'
  put(0, 100, name)
  put(100, 8, octal(mode, 8))
  put(108, 8, octal(0, 8))
  put(116, 8, octal(0, 8))
  put(124, 12, octal(size, 12))
  put(136, 12, octal(0, 12))
  put(148, 8, '        ')
  put(156, 1, type)
  put(257, 6, 'ustar\0')
  put(263, 2, '00')
  const checksum = block.reduce((sum, byte) => sum + byte, 0)
  put(148, 8, `${checksum.toString(8).padStart(6, '0')}\0 `)
  return block
}
