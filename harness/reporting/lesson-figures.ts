/**
 * A lesson lint: every figure a lesson's "## What the tests check" quotes (a bound, a timeout, a size)
 * must be a figure its tests use, so that a lesson cannot drift from its tests unnoticed (review E2).
 *
 * What a lesson quotes, in that section's prose (text in `code` spans and code blocks is code or sample
 * output, and is not read):
 * - a number with a unit: 250 ms, 2.1 s, 10 seconds, 65507-byte, 0 bytes, 4 KiB, 1 MiB. Times compare
 *   in ms (2.1 s is 2100), sizes in bytes;
 * - a number set on a named input, without a unit: "`timeoutMs` 200" (a `code` name, then the number)
 *   and "backlog 5".
 * A measurement on this machine is no test figure: write it in parentheses with the word "here" or
 * "measured", as in "(1.1 ms median here)" or "(measured: 0.2 ms)". Only the innermost parentheses
 * around a figure count, so a bound outside them is still checked.
 *
 * What the tests use: every sub-expression of the kata's test file that folds to a number (numeric
 * literals, `const`s resolved through the type checker, imported ones too, + - * /, unary minus,
 * Math.max/min/round/ceil/floor), so `sleep(timeoutMs * 3)` with `timeoutMs = 30` uses 30, 3 and 90;
 * and what the harness code the test reaches sets (a named constant, a parameter's default, an
 * argument, an object's property, not the 1000 of `ms / 1000`), following calls HARNESS_DEPTH deep,
 * from the test file and from the setup file Vitest runs around every kata test.
 * A bullet's figures must be its own test's (the `test(...)` call it names, and what that reaches);
 * the rest of the section may quote any figure of the file.
 * Values compare without units: a lesson's "1 s" passes where its test uses 1000 for anything.
 */
import { join, relative, sep } from 'node:path'
import ts from 'typescript'
import type { Kata } from '../katas.ts'
import { projectRoot } from '../paths.ts'
import { normaliseTestName, readLesson, section } from './lessons.ts'

/** vitest.config.ts's setupFiles for the katas: it runs around every kata test. */
const SETUP_FILE = join(projectRoot, 'harness', 'lifecycle', 'socket-test-setup.ts')
const HARNESS_DEPTH = 3
const UNITS: Record<string, number> = { ms: 1, millisecond: 1, s: 1000, sec: 1000, second: 1000, byte: 1, b: 1, kib: 1024, mib: 1024 ** 2 }
const UNIT = String.raw`(?:ms|milliseconds?|s|secs?|seconds?|bytes?|B|KiB|MiB)(?![\w-])`
const WITH_UNIT = new RegExp(String.raw`(?<![\w.-])(\d+(?:\.\d+)?)(?:-|\s+)?(${UNIT})`, 'g')
const NAMED = new RegExp(String.raw`(\`[A-Za-z_$][\w$]*\`|\bbacklog)[ \t]+(\d+(?:\.\d+)?)(?![\w-]|\.\d|\s+${UNIT})`, 'g')
const MEASUREMENT = /\b(here|measured)\b/i

export interface LessonFigure {
  /** As the lesson writes it: "2.2 s", "`timeoutMs` 50". */
  text: string
  /** In ms or bytes. */
  value: number
  line: number
  /** The test whose bullet quotes it, normalised (see normaliseTestName). */
  test?: string
}

export interface TestFigures {
  /** Every figure of the test file and of the code it reaches. */
  all: Set<number>
  /** By normalised test name: every figure of that test and of the code it reaches; its own, to show. */
  tests: Map<string, { uses: Set<number>; own: number[] }>
}

export interface FigureViolation {
  lesson: string
  line: number
  figure: string
  /** What the tests use nearby: the figures of the test the bullet describes, or the file's closest ones. */
  nearby: number[]
}

/** The figures a lesson's "What the tests check" quotes, measurements (see the rule above) left out. */
export function quotedFigures(markdown: string): LessonFigure[] {
  const text = section(markdown, 'What the tests check')
  const lineOffset = markdown.slice(0, markdown.indexOf(text)).split('\n').length - 1
  const indentedBlock = /(^|\n[ \t]*\n)((?: {4,}[^\n]*(?:\n|$))+)/g
  const prose = text.replace(/```[\s\S]*?```|`[^`]+`/g, blank).replace(indentedBlock, (_, before: string, block: string) => before + blank(block))
  const groups = parenthesised(prose)
  const figures: (LessonFigure & { at: number })[] = []
  const add = (at: number, shown: string, value: number) => {
    const group = groups.filter(([open, close]) => open < at && at < close).at(-1)
    if (group && MEASUREMENT.test(prose.slice(...group))) return
    figures.push({ at, text: shown, value, line: lineOffset + text.slice(0, at).split('\n').length, test: bulletAt(text, at) })
  }
  for (const match of prose.matchAll(WITH_UNIT)) add(match.index, match[0], Number(match[1]) * UNITS[unitKey(match[2]!)]!)
  for (const match of text.matchAll(NAMED)) {
    const number = match.index + match[0].length - match[2]!.length
    if (prose[number] === match[2]![0]) add(number, match[0], Number(match[2])) // the number is prose, not code
  }
  return figures.sort((a, b) => a.at - b.at).map(({ at, ...figure }) => figure)
}

function blank(code: string): string {
  return code.replace(/[^\n]/g, ' ')
}

function unitKey(unit: string): string {
  const lower = unit.toLowerCase()
  return lower in UNITS ? lower : lower.replace(/s$/, '')
}

/** [open, close] of every closed pair of parentheses, outer before inner. */
function parenthesised(text: string): [number, number][] {
  const open: number[] = []
  const pairs: [number, number][] = []
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') open.push(i)
    else if (text[i] === ')' && open.length > 0) pairs.push([open.pop()!, i])
  }
  return pairs.sort((a, b) => a[0] - b[0])
}

/** The test a figure's bullet ("- **name**: ...") describes, if the figure is in one. */
function bulletAt(text: string, at: number): string | undefined {
  const start = text.lastIndexOf('\n- **', at)
  if (start < 0 || /\n[ \t]*\n(?!\s)/.test(text.slice(start, at))) return undefined
  const name = /^\n- \*\*([\s\S]+?)\*\*/.exec(text.slice(start))?.[1]
  return name && normaliseTestName(name)
}

/** One program over the test files (and the setup file), so constants resolve across modules. */
export function testFiguresOf(testFiles: string[], options: { harnessDir?: string; setupFile?: string } = {}): Map<string, TestFigures> {
  const harnessDir = (options.harnessDir ?? join(projectRoot, 'harness')) + sep
  const reaches = (fileName: string) => testFiles.includes(fileName) || (fileName.startsWith(harnessDir) && !fileName.endsWith('.test.ts'))
  const program = projectProgram([...testFiles, ...(options.setupFile ? [options.setupFile] : [])])
  const figures = new Figures(program.getTypeChecker(), reaches, testFiles)
  const setup = options.setupFile ? figures.reachedFrom(program.getSourceFile(options.setupFile)!) : new Set<number>()
  return new Map(
    testFiles.map((file) => {
      const source = program.getSourceFile(file)!
      return [file, { all: new Set([...setup, ...figures.reachedFrom(source)]), tests: figures.tests(source) }]
    }),
  )
}

/**
 * The project's own files only: no lib, no @types, nothing from node_modules. Names resolve to their
 * declarations without them, and the program builds in a fraction of the time.
 */
function projectProgram(rootNames: string[]): ts.Program {
  const configFile = join(projectRoot, 'tsconfig.json')
  const { config } = ts.readConfigFile(configFile, ts.sys.readFile)
  const { options } = ts.convertCompilerOptionsFromJson(config.compilerOptions, projectRoot, configFile)
  Object.assign(options, { noEmit: true, noLib: true, types: [] })
  const host = ts.createCompilerHost(options)
  host.resolveModuleNameLiterals = (literals, containingFile) =>
    literals.map(({ text }) => {
      const { resolvedModule } = ts.resolveModuleName(text, containingFile, options, host)
      return { resolvedModule: resolvedModule?.isExternalLibraryImport ? undefined : resolvedModule }
    })
  return ts.createProgram({ rootNames, options, host })
}

class Figures {
  private readonly constants = new Map<ts.Declaration, number | undefined>()
  private readonly declarations = new Map<ts.Identifier, ts.Declaration[]>()
  private readonly scans = new Map<ts.Node, { figures: number[]; references: ts.Declaration[] }>()

  constructor(
    private readonly checker: ts.TypeChecker,
    private readonly reaches: (fileName: string) => boolean,
    private readonly testFiles: string[],
  ) {}

  /** The figures of `root` and of the declarations it reaches, HARNESS_DEPTH references deep. */
  reachedFrom(root: ts.Node): Set<number> {
    const found = new Set<number>()
    const seen = new Set<ts.Node>([root])
    let frontier: ts.Node[] = [root]
    for (let depth = 0; depth <= HARNESS_DEPTH && frontier.length > 0; depth++) {
      const next: ts.Node[] = []
      for (const node of frontier) {
        const { figures, references } = this.scan(node)
        for (const value of figures) found.add(value)
        const unseen = references.filter((reference) => !seen.has(reference))
        unseen.forEach((declaration) => seen.add(declaration))
        next.push(...unseen)
      }
      frontier = next
    }
    return found
  }

  /** For each test('name', body) call (test.for([...])('name %i', body) too): what it uses, and its own figures. */
  tests(source: ts.SourceFile): Map<string, { uses: Set<number>; own: number[] }> {
    const tests = new Map<string, { uses: Set<number>; own: number[] }>()
    const visitCall = (node: ts.Node): void => {
      const [name, body] = ts.isCallExpression(node) ? node.arguments : []
      if (name && body && (ts.isStringLiteralLike(name) || ts.isTemplateExpression(name)) && ts.isFunctionLike(body)) {
        const title = ts.isTemplateExpression(name) ? name.getText().slice(1, -1).replace(/\$\{[^}]*\}/g, '0') : name.text
        const own = [...new Set(this.scan(node).figures)].sort((a, b) => a - b)
        tests.set(normaliseTestName(title.replace(/%[a-z]/g, '0')), { uses: this.reachedFrom(node), own })
      }
      ts.forEachChild(node, visitCall)
    }
    visitCall(source)
    return tests
  }

  /** The figures in `node`, and the declarations (in files the lint reaches) its names refer to. */
  private scan(node: ts.Node): { figures: number[]; references: ts.Declaration[] } {
    let scanned = this.scans.get(node)
    if (!scanned) {
      const found: { figures: number[]; references: ts.Declaration[] } = { figures: [], references: [] }
      const everyFigure = this.testFiles.includes(node.getSourceFile().fileName)
      this.visit(node, (value, expression) => (everyFigure || isSet(expression)) && found.figures.push(value), (identifier) => {
        found.references.push(...this.declarationsOf(identifier).filter((declaration) => this.reaches(declaration.getSourceFile().fileName)))
      })
      this.scans.set(node, (scanned = found))
    }
    return scanned
  }

  private visit(node: ts.Node, onFigure: (value: number, node: ts.Expression) => void, onIdentifier: (identifier: ts.Identifier) => void): void {
    if (ts.isExpression(node)) {
      const value = this.fold(node)
      if (value !== undefined) onFigure(value, node)
    }
    if (ts.isIdentifier(node)) onIdentifier(node)
    ts.forEachChild(node, (child) => this.visit(child, onFigure, onIdentifier))
  }

  /** Where a name is declared, imports followed; a property's name is left alone (that needs its object's type). */
  private declarationsOf(identifier: ts.Identifier): ts.Declaration[] {
    if (ts.isPropertyAccessExpression(identifier.parent) && identifier.parent.name === identifier) return []
    let found = this.declarations.get(identifier)
    if (!found) {
      let symbol = this.checker.getSymbolAtLocation(identifier)
      if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = this.checker.getAliasedSymbol(symbol)
      this.declarations.set(identifier, (found = symbol?.declarations ?? []))
    }
    return found
  }

  private fold(node: ts.Expression): number | undefined {
    if (ts.isNumericLiteral(node)) return Number(node.text)
    if (ts.isParenthesizedExpression(node) || ts.isAsExpression(node) || ts.isSatisfiesExpression(node) || ts.isNonNullExpression(node)) return this.fold(node.expression)
    if (ts.isPrefixUnaryExpression(node) && node.operator === ts.SyntaxKind.MinusToken) {
      const operand = this.fold(node.operand)
      return operand === undefined ? undefined : -operand
    }
    if (ts.isBinaryExpression(node)) return this.foldBinary(node)
    if (ts.isIdentifier(node)) return this.constant(node)
    if (ts.isCallExpression(node)) return this.foldMath(node)
    return undefined
  }

  private foldBinary(node: ts.BinaryExpression): number | undefined {
    const operations: Partial<Record<ts.SyntaxKind, (a: number, b: number) => number>> = {
      [ts.SyntaxKind.PlusToken]: (a, b) => a + b,
      [ts.SyntaxKind.MinusToken]: (a, b) => a - b,
      [ts.SyntaxKind.AsteriskToken]: (a, b) => a * b,
      [ts.SyntaxKind.SlashToken]: (a, b) => a / b,
    }
    const operation = operations[node.operatorToken.kind]
    const [left, right] = [this.fold(node.left), this.fold(node.right)]
    return operation && left !== undefined && right !== undefined ? operation(left, right) : undefined
  }

  private foldMath(node: ts.CallExpression): number | undefined {
    const callee = node.expression
    if (!ts.isPropertyAccessExpression(callee) || callee.expression.getText() !== 'Math') return undefined
    const name = callee.name.text
    if (!['max', 'min', 'round', 'ceil', 'floor'].includes(name)) return undefined
    const args = node.arguments.map((argument) => this.fold(argument))
    if (args.some((value) => value === undefined)) return undefined
    return (Math[name as 'max'] as (...values: number[]) => number)(...(args as number[]))
  }

  /** A `const` name's value, wherever it is declared (imports followed). */
  private constant(identifier: ts.Identifier): number | undefined {
    const declaration = this.declarationsOf(identifier).find(ts.isVariableDeclaration)
    if (!declaration?.initializer || !(ts.getCombinedNodeFlags(declaration) & ts.NodeFlags.Const)) return undefined
    if (!this.constants.has(declaration)) {
      this.constants.set(declaration, undefined) // a constant defined through itself folds to nothing
      this.constants.set(declaration, this.fold(declaration.initializer))
    }
    return this.constants.get(declaration)
  }
}

/** A figure harness code sets: a named constant, a default, an argument, an object's property; not the 1000 of `ms / 1000`. */
function isSet(expression: ts.Expression): boolean {
  const { parent } = expression
  if (ts.isIdentifier(expression)) return true
  if (ts.isVariableDeclaration(parent) || ts.isParameter(parent) || ts.isPropertyAssignment(parent)) return parent.initializer === expression
  return (ts.isCallExpression(parent) || ts.isNewExpression(parent)) && !!parent.arguments?.some((argument) => argument === expression)
}

/**
 * Every figure a lesson quotes that its tests do not use: a bullet's figures are checked against its
 * own test (and what that reaches), the rest of the section against the whole test file.
 */
export function lintLesson(lesson: string, markdown: string, figures: TestFigures): FigureViolation[] {
  const closest = (value: number) => [...figures.all].sort((a, b) => Math.abs(a - value) - Math.abs(b - value)).slice(0, 5)
  return quotedFigures(markdown).flatMap(({ text, value, line, test }) => {
    const scope = figures.tests.get(test ?? '')
    if ([...(scope?.uses ?? figures.all)].some((figure) => Math.abs(figure - value) < 1e-6)) return []
    return [{ lesson, line, figure: text.replace(/\s+/g, ' '), nearby: scope?.own ?? closest(value) }]
  })
}

/** The lint over every kata's lesson under `testsRoot`, against its test file. */
export async function lintLessonFigures(testsRoot: string, katas: Kata[]): Promise<FigureViolation[]> {
  const testFiles = katas.map((kata) => join(testsRoot, kata.folder, kata.testFile))
  const figures = testFiguresOf(testFiles, { setupFile: SETUP_FILE })
  const lessons = await Promise.all(katas.map((kata) => readLesson(testsRoot, kata)))
  return katas.flatMap((kata, i) => lintLesson(relative(projectRoot, join(testsRoot, kata.folder, 'README.md')), lessons[i]!, figures.get(testFiles[i]!)!))
}

/** How to mend a violation, for the failure report. */
export const HOW_TO_FIX =
  "Quote the figure the test uses (a bullet: the figure of the test it names), or change the test. A measurement on this machine " +
  'is no test figure: write it in parentheses with the word "here" or "measured", e.g. "(1.1 ms median here)". Figures in `code` are not read.'

export function describeViolation({ lesson, line, figure, nearby }: FigureViolation): string {
  return `${lesson}:${line}: "${figure}" is no figure its tests use${nearby.length > 0 ? ` (nearby, they use ${nearby.join(', ')})` : ''}`
}
