/**
 * What the grader checks in a kata file before running anything: that it compiles (syntax, as
 * Vitest would see it; type errors are not graded, since learners' runs do not check types either),
 * that it imports nothing but Node's built-in modules, and that it exports the kata's functions.
 */
import { builtinModules } from 'node:module'
import ts from 'typescript'

export interface StaticProblem {
  problem: 'compile-error' | 'forbidden-import' | 'missing-export'
  reason: string
}

export function checkKataSource(source: string, fileName: string, requiredExports: string[]): StaticProblem | undefined {
  const syntax = syntaxErrors(source, fileName)
  if (syntax.length > 0) return { problem: 'compile-error', reason: `does not compile: ${syntax.join('; ')}` }
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS)
  const forbidden = importedModules(file).map(whyForbidden).find((why) => why !== undefined)
  if (forbidden) return { problem: 'forbidden-import', reason: forbidden }
  const exported = new Set(exportedValueNames(file))
  const missing = requiredExports.filter((name) => !exported.has(name))
  if (missing.length > 0) {
    return { problem: 'missing-export', reason: `does not export ${missing.map((name) => `${name}()`).join(', ')}` }
  }
  return undefined
}

/** The compiler's own messages, "bind.ts:3:14 ';' expected.", for what would stop the file from loading. */
function syntaxErrors(source: string, fileName: string): string[] {
  const { diagnostics = [] } = ts.transpileModule(source, {
    fileName,
    reportDiagnostics: true,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  })
  return diagnostics.map((diagnostic) => {
    const text = ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ')
    if (!diagnostic.file || diagnostic.start === undefined) return text
    const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start)
    return `${fileName}:${line + 1}:${character + 1} ${text}`
  })
}

/** Every module specifier the file names: static and dynamic import, export ... from, require(). */
function importedModules(file: ts.SourceFile): string[] {
  const found: string[] = []
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push(node.moduleSpecifier.text)
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      const expression = node.moduleReference.expression
      if (ts.isStringLiteral(expression)) found.push(expression.text)
    } else if (ts.isCallExpression(node) && isImportOrRequire(node.expression)) {
      const [argument] = node.arguments
      found.push(argument && ts.isStringLiteralLike(argument) ? argument.text : '<computed>')
    }
    ts.forEachChild(node, visit)
  }
  visit(file)
  return found
}

function isImportOrRequire(callee: ts.Expression): boolean {
  return callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === 'require')
}

const TEST_FRAMEWORK = /^(vitest|vite|@vitest\/|vitest\/|tinyspy|chai)/

function whyForbidden(specifier: string): string | undefined {
  if (specifier === '<computed>') return 'imports a module whose name is computed at run time; name Node built-in modules literally'
  const bare = specifier.replace(/^node:/, '')
  if (specifier.startsWith('node:') || builtinModules.includes(bare)) return undefined
  if (TEST_FRAMEWORK.test(specifier)) return `imports the test framework (${specifier}); kata code may not touch the tests`
  if (specifier.startsWith('#harness') || /(^|\/)harness(\/|$)/.test(specifier)) {
    return `imports the test harness (${specifier}); kata code may not touch the tests`
  }
  if (specifier.startsWith('.') || specifier.startsWith('/')) {
    return `imports ${specifier}; only the kata file itself is graded, so it may import Node's built-in modules only`
  }
  return `imports ${specifier}, which the grader does not provide; use Node's built-in modules`
}

/** Names the file exports as values (functions, constants), which is what the tests import. */
function exportedValueNames(file: ts.SourceFile): string[] {
  const names: string[] = []
  for (const statement of file.statements) {
    const exported = ts.canHaveModifiers(statement) && ts.getModifiers(statement)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)
    if (exported && ts.isFunctionDeclaration(statement) && statement.name) names.push(statement.name.text)
    if (exported && ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        if (ts.isIdentifier(declaration.name)) names.push(declaration.name.text)
      }
    }
    if (ts.isExportDeclaration(statement) && !statement.isTypeOnly && statement.exportClause && ts.isNamedExports(statement.exportClause)) {
      names.push(...statement.exportClause.elements.filter((element) => !element.isTypeOnly).map((element) => element.name.text))
    }
  }
  return names
}

/** The functions a kata's stub exports: what every submission must export too. */
export function requiredExportsOf(stubSource: string): string[] {
  return exportedValueNames(ts.createSourceFile('stub.ts', stubSource, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS))
}
