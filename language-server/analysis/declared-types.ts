/**
 * A cheap upper bound on an expression's type, from what the code declares: an annotated variable or parameter, a
 * type assertion, a call of a function with a declared return type, a literal, the element of a declared array in
 * an array method's callback. `getTypeAtLocation` on an expression runs flow narrowing back through the whole
 * function for every reference in it, resolving the signature of each call on the way (TypeScript asks each whether
 * it is an assertion function), which in a long orchestrator is most of DD014's time. A declared type is a supertype
 * of the narrowed one, so when it fits, the narrowed type fits too; only when it does not (or no bound is known) must
 * the caller ask for the precise type.
 */
import ts = require("typescript");

const MAX_DEPTH = 4;
/** Array methods whose callback gets (element, index, array). */
const ELEMENT_CALLBACKS = new Set(["map", "forEach", "filter", "flatMap", "some", "every", "find", "findIndex", "findLast", "findLastIndex"]);

export function declaredTypeOf(checker: ts.TypeChecker, expression: ts.Expression, depth = 0): ts.Type | undefined {
  if (depth > MAX_DEPTH) return undefined;
  if (ts.isParenthesizedExpression(expression)) return declaredTypeOf(checker, expression.expression, depth + 1);
  if ((ts.isAsExpression(expression) || ts.isTypeAssertionExpression(expression)) && !isConstAssertion(expression.type)) {
    return checker.getTypeFromTypeNode(expression.type);
  }
  if (ts.isStringLiteral(expression) || ts.isNoSubstitutionTemplateLiteral(expression)) return checker.getStringLiteralType(expression.text);
  if (ts.isNumericLiteral(expression)) return checker.getNumberLiteralType(Number(expression.text));
  if (expression.kind === ts.SyntaxKind.TrueKeyword) return checker.getTrueType();
  if (expression.kind === ts.SyntaxKind.FalseKeyword) return checker.getFalseType();
  if (ts.isIdentifier(expression)) return declaredTypeOfIdentifier(checker, expression, depth);
  if (ts.isCallExpression(expression) && !expression.typeArguments) {
    const callee = ts.isIdentifier(expression.expression) ? valueDeclarationOf(checker, expression.expression) : undefined;
    // One declaration, not generic, its return type written down: what any call of it returns, whatever the arguments.
    if (callee && ts.isFunctionDeclaration(callee) && callee.type && !callee.typeParameters && callee.body && isOnlyDeclaration(checker, callee)) {
      return checker.getTypeFromTypeNode(callee.type);
    }
  }
  return undefined;
}

function declaredTypeOfIdentifier(checker: ts.TypeChecker, identifier: ts.Identifier, depth: number): ts.Type | undefined {
  return declaredTypeOfDeclaration(checker, valueDeclarationOf(checker, identifier), depth);
}

function declaredTypeOfDeclaration(checker: ts.TypeChecker, declaration: ts.Declaration | undefined, depth: number): ts.Type | undefined {
  if (!declaration || !(ts.isVariableDeclaration(declaration) || ts.isParameter(declaration)) || !ts.isIdentifier(declaration.name)) return undefined;
  if (declaration.type) {
    // getTypeOfSymbol reads an annotation without checking the initializer (and adds `undefined` to an optional parameter).
    const symbol = checker.getSymbolAtLocation(declaration.name);
    return symbol && checker.getTypeOfSymbol(symbol);
  }
  // const x = f(...): the type of its initializer (a const is never assigned again, and a call's type is not widened).
  if (ts.isVariableDeclaration(declaration) && declaration.initializer && ts.isCallExpression(declaration.initializer)) {
    const list = declaration.parent;
    if (ts.isVariableDeclarationList(list) && list.flags & ts.NodeFlags.Const) return declaredTypeOf(checker, declaration.initializer, depth + 1);
  }
  if (ts.isParameter(declaration)) return callbackParameterType(checker, declaration, depth);
  return undefined;
}

/** `items.map((item, index) => …)` on a declared array: the element type and number, as Array<T>'s signature gives them. */
function callbackParameterType(checker: ts.TypeChecker, parameter: ts.ParameterDeclaration, depth: number): ts.Type | undefined {
  const callback = parameter.parent;
  if (!(ts.isArrowFunction(callback) || ts.isFunctionExpression(callback)) || parameter.dotDotDotToken) return undefined;
  const call = callback.parent;
  if (!ts.isCallExpression(call) || call.arguments[0] !== callback || !ts.isPropertyAccessExpression(call.expression)) return undefined;
  if (!ELEMENT_CALLBACKS.has(call.expression.name.text)) return undefined;
  const array = declaredTypeOf(checker, call.expression.expression, depth + 1);
  if (!array || !checker.isArrayType(array)) return undefined;
  const index = callback.parameters.indexOf(parameter);
  if (index === 0) return checker.getTypeArguments(array as ts.TypeReference)[0];
  if (index === 1) return checker.getNumberType();
  return undefined;
}

/**
 * Whether an object literal fits `expected` by the declared types of what it holds (spreads, properties, nested
 * literals): true only when it surely does. Extra properties are allowed: the input is serialised.
 */
export function literalFitsDeclared(checker: ts.TypeChecker, literal: ts.ObjectLiteralExpression, expected: ts.Type, depth = 0): boolean {
  if (isLoose(expected)) return true;
  if (depth > MAX_DEPTH || expected.isUnion() || !(expected.flags & ts.TypeFlags.Object)) return false;
  const provided = new Map<string, Provided>();
  for (const property of literal.properties) {
    if (ts.isSpreadAssignment(property)) {
      const spread = declaredTypeOf(checker, property.expression);
      if (!spread || !(spread.flags & ts.TypeFlags.Object) || spread.isUnion()) return false;
      for (const member of checker.getPropertiesOfType(spread)) provided.set(member.getName(), { type: checker.getTypeOfSymbol(member) });
    } else if (ts.isShorthandPropertyAssignment(property)) {
      // The name is the property's symbol; the variable it reads is the shorthand's value symbol.
      const type = declaredTypeOfDeclaration(checker, checker.getShorthandAssignmentValueSymbol(property)?.valueDeclaration, depth);
      if (!type) return false;
      provided.set(property.name.text, { type });
    } else if (ts.isPropertyAssignment(property) && (ts.isIdentifier(property.name) || ts.isStringLiteral(property.name))) {
      const value = skipParentheses(property.initializer);
      if (ts.isObjectLiteralExpression(value)) {
        provided.set(property.name.text, { literal: value });
        continue;
      }
      const type = declaredTypeOf(checker, value);
      if (!type) return false;
      provided.set(property.name.text, { type });
    } else {
      return false; // methods, accessors, computed names: ask TypeScript
    }
  }
  for (const member of checker.getPropertiesOfType(expected)) {
    const given = provided.get(member.getName());
    if (given === undefined) {
      if (!(member.flags & ts.SymbolFlags.Optional)) return false;
      continue;
    }
    if (!fits(checker, given, checker.getTypeOfSymbol(member), depth)) return false;
  }
  const indexTypes = checker.getIndexInfosOfType(expected).map((info) => info.type);
  if (indexTypes.length) {
    const declared = new Set(checker.getPropertiesOfType(expected).map((member) => member.getName()));
    for (const [name, given] of provided) {
      if (!declared.has(name) && !indexTypes.every((type) => fits(checker, given, type, depth))) return false;
    }
  }
  return true;
}

/** What an object literal gives a property: a type known from declarations, or a nested literal to check in turn. */
type Provided = { type: ts.Type } | { literal: ts.ObjectLiteralExpression };

function fits(checker: ts.TypeChecker, given: Provided, expected: ts.Type, depth: number): boolean {
  if (isLoose(expected)) return true;
  if ("literal" in given) return literalFitsDeclared(checker, given.literal, checker.getNonNullableType(expected), depth + 1);
  return !isLoose(given.type) && checker.isTypeAssignableTo(given.type, expected);
}

function isLoose(type: ts.Type): boolean {
  return (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) !== 0;
}

function skipParentheses(expression: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(expression)) expression = expression.expression;
  return expression;
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
