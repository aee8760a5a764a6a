/** The range the OS draws ports from when a program asks for port 0. */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

export type EphemeralRange = { low: number; high: number; source: string } | { unknown: string }

/** Parses /proc/sys/net/ipv4/ip_local_port_range ("32768\t60999"). */
export function parsePortRange(text: string, source: string): EphemeralRange {
  const [low, high] = text.trim().split(/\s+/).map(Number)
  return low && high ? { low, high, source } : { unknown: `could not read ${source}: "${text.trim()}"` }
}

export function ephemeralPortRange(): EphemeralRange {
  try {
    if (process.platform === 'linux') {
      const source = '/proc/sys/net/ipv4/ip_local_port_range'
      return parsePortRange(readFileSync(source, 'utf8'), source)
    }
    if (process.platform === 'darwin' || process.platform === 'freebsd') {
      const read = (name: string) => execFileSync('sysctl', ['-n', name], { encoding: 'utf8' })
      return parsePortRange(
        `${read('net.inet.ip.portrange.first')} ${read('net.inet.ip.portrange.last')}`,
        'sysctl net.inet.ip.portrange',
      )
    }
  } catch (error) {
    return { unknown: `the ephemeral port range could not be read: ${(error as Error).message}` }
  }
  return { unknown: `reading the ephemeral port range is not supported on ${process.platform}` }
}
