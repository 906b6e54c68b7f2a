/**
 * A cheap upper bound on an expression's type, from what the code declares: an annotated variable or parameter, a
 * type assertion, or a call of a function with a declared return type. `getTypeAtLocation` on an identifier runs flow
 * narrowing back through the whole function, resolving the signature of every call on the way (TypeScript asks each
 * whether it is an assertion function), which in a long orchestrator is most of DD014's time. The declared type is
 * a supertype of the narrowed one, so when it fits, the narrowed type fits too; only when it does not must the caller
 * ask for the precise type.
 */
import ts = require("typescript");

export function declaredTypeOf(checker: ts.TypeChecker, expression: ts.Expression): ts.Type | undefined {
  if (ts.isParenthesizedExpression(expression)) return declaredTypeOf(checker, expression.expression);
  if ((ts.isAsExpression(expression) || ts.isTypeAssertionExpression(expression)) && !isConstAssertion(expression.type)) {
    return checker.getTypeFromTypeNode(expression.type);
  }
  if (ts.isIdentifier(expression)) {
    const declaration = valueDeclarationOf(checker, expression);
    // getTypeOfSymbol reads an annotation without checking the initializer (and adds `undefined` to an optional parameter).
    if (declaration && (ts.isVariableDeclaration(declaration) || ts.isParameter(declaration)) && declaration.type && ts.isIdentifier(declaration.name)) {
      const symbol = checker.getSymbolAtLocation(declaration.name);
      return symbol && checker.getTypeOfSymbol(symbol);
    }
    return undefined;
  }
  if (ts.isCallExpression(expression) && !expression.typeArguments) {
    const callee = ts.isIdentifier(expression.expression) ? valueDeclarationOf(checker, expression.expression) : undefined;
    // One declaration, not generic, its return type written down: what any call of it returns, whatever the arguments.
    if (callee && ts.isFunctionDeclaration(callee) && callee.type && !callee.typeParameters && callee.body && isOnlyDeclaration(checker, callee)) {
      return checker.getTypeFromTypeNode(callee.type);
    }
  }
  return undefined;
}

function isConstAssertion(type: ts.TypeNode): boolean {
  return ts.isTypeReferenceNode(type) && ts.isIdentifier(type.typeName) && type.typeName.text === "const";
}

function valueDeclarationOf(checker: ts.TypeChecker, identifier: ts.Identifier): ts.Declaration | undefined {
  let symbol = checker.getSymbolAtLocation(identifier);
  if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
  return symbol?.valueDeclaration;
}

function isOnlyDeclaration(checker: ts.TypeChecker, declaration: ts.FunctionDeclaration): boolean {
  const symbol = declaration.name && checker.getSymbolAtLocation(declaration.name);
  return symbol?.declarations?.length === 1;
}
