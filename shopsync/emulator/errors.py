"""Shopify-style top-level GraphQL errors: syntax, validation, variables, cost, throttling."""

from __future__ import annotations

import re
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    VariableDefinitionNode,
    print_ast,
    type_from_ast,
)
from graphql.language import Lexer, Source, TokenKind, Visitor, visit
from graphql.utilities import coerce_input_value, validate_input_value

INVALID_TOKEN_BODY = {
    "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
}
RATE_LIMIT_DOC = "https://shopify.dev/api/usage/rate-limits"


class ShopifyError(Exception):
    """A resolver-level error rendered into ``errors`` (with ``extensions.code``)."""

    def __init__(self, message: str, code: str | None = None, **extensions: Any) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.extensions = extensions


def _loc(node: Any) -> list[dict]:
    if node is None or node.loc is None:
        return []
    loc = node.loc.source.get_location(node.loc.start)
    return [{"line": loc.line, "column": loc.column}]


def operation_label(op: OperationDefinitionNode | None) -> str:
    if op is None:
        return "query"
    kind = op.operation.value
    return f"{kind} {op.name.value}" if op.name else kind


def _last_token_location(text: str) -> tuple[int, int] | None:
    """Where graphql-ruby reports "unexpected end of file": the start of the last token."""
    lexer = Lexer(Source(text))
    last = None
    try:
        while True:
            token = lexer.advance()
            if token.kind == TokenKind.EOF:
                break
            last = token
    except GraphQLError:
        pass
    return (last.line, last.column) if last is not None else None


def syntax_message(error: GraphQLError, text: str) -> tuple[str, tuple[int, int] | None]:
    """graphql-ruby's wording of a parse failure and the position it reports."""
    if "<EOF>" in error.message:
        return "syntax error, unexpected end of file", _last_token_location(text)
    found = re.search(r"found (.+?)\.?$", error.message)
    what = found.group(1).strip("'\"") if found else "token"
    loc = error.locations[0] if error.locations else None
    return f'syntax error, unexpected "{what}"', ((loc.line, loc.column) if loc else None)


def syntax_error(error: GraphQLError, text: str) -> dict:
    """Render a parse failure like Shopify (graphql-ruby) does."""
    message, where = syntax_message(error, text)
    out: dict[str, Any] = {"message": message}
    if where is not None:
        out["message"] += f" at [{where[0]}, {where[1]}]"
        out["locations"] = [{"line": where[0], "column": where[1]}]
    return out


class _PathFinder(Visitor):
    """Finds the document path (Shopify's ``path``) of a node."""

    def __init__(self, target: Any) -> None:
        super().__init__()
        self.target = target
        self.stack: list[str] = []
        self.found: list[str] | None = None

    def enter(self, node, *_args):
        if self.found is not None:
            return self.BREAK
        if isinstance(node, OperationDefinitionNode):
            self.stack.append(operation_label(node))
        elif isinstance(node, FieldNode):
            self.stack.append(node.alias.value if node.alias else node.name.value)
        if node is self.target:
            self.found = list(self.stack)
            return self.BREAK
        return None

    def leave(self, node, *_args):
        if isinstance(node, (OperationDefinitionNode, FieldNode)) and self.stack:
            self.stack.pop()


def _path_to(document: DocumentNode, node: Any) -> list[str]:
    finder = _PathFinder(node)
    visit(document, finder)
    return finder.found or []


def validation_error(document: DocumentNode, error: GraphQLError) -> dict:
    """Translate a graphql-core validation error into Shopify's wording and extensions."""
    message = error.message
    nodes = error.nodes or []
    node = nodes[0] if nodes else None
    out: dict[str, Any] = {"message": message, "locations": _loc(node)}
    path = _path_to(document, node) if node is not None else []

    m = re.match(r"Cannot query field '(\w+)' on type '(\w+)'", message)
    if m:
        field, type_name = m.groups()
        out["message"] = f"Field '{field}' doesn't exist on type '{type_name}'"
        out["path"] = path
        out["extensions"] = {"code": "undefinedField", "typeName": type_name, "fieldName": field}
        return out
    m = re.match(r"Field '(\w+)' argument '(\w+)' of type '.+' is required", message) or re.match(
        r"Argument '\w+\.(\w+)\((\w+):\)' of type '.+' is required", message
    )
    if m:
        field, arg = m.groups()
        out["message"] = f"Field '{field}' is missing required arguments: {arg}"
        out["path"] = path
        out["extensions"] = {
            "code": "missingRequiredArguments",
            "className": "Field",
            "name": field,
            "arguments": arg,
        }
        return out
    m = re.match(r"Unknown argument '(\w+)' on field '\w+\.(\w+)'", message)
    if m:
        arg, field = m.groups()
        out["message"] = f"Field '{field}' doesn't accept argument '{arg}'"
        out["path"] = [*path, arg]
        out["extensions"] = {
            "code": "argumentNotAccepted",
            "name": field,
            "typeName": "Field",
            "argumentName": arg,
        }
        return out
    m = re.match(r"Variable '\$(\w+)' is never used(?: in operation '(\w+)')?", message)
    if m:
        var, op = m.groups()
        out["message"] = f"Variable ${var} is declared by {op or 'anonymous query'} but not used"
        out["path"] = path[:1] if path else []
        out["extensions"] = {"code": "variableNotUsed", "variableName": var}
        return out
    m = re.match(r"Variable '\$(\w+)' is not defined", message)
    if m:
        var = m.group(1)
        out["message"] = (
            f"Variable ${var} is used by {path[0] if path else 'query'} but not declared"
        )
        out["path"] = path[:1]
        out["extensions"] = {"code": "variableNotDefined", "variableName": var}
        return out
    m = re.match(r"Field '(\w+)' of type '(.+)' must have a selection of subfields", message)
    if m:
        field, type_name = m.groups()
        named = type_name.strip("[]!")
        out["message"] = (
            f"Field must have selections (field '{field}' returns {named} but has no selections. "
            f"Did you mean '{field} {{ ... }}'?)"
        )
        out["path"] = path
        out["extensions"] = {"code": "selectionMismatch", "nodeName": f"field '{field}'"}
        return out
    if node is not None and node.kind == "argument":
        arg_name = node.name.value
        parent = path[-1] if path else ""
        expected = re.search(r"type '([^']+)'|Enum '([^']+)'", message)
        type_name = next((g for g in (expected.groups() if expected else ()) if g), "")
        out["message"] = (
            f"Argument '{arg_name}' on Field '{parent}' has an invalid value "
            f"({print_ast(node.value)}). Expected type '{type_name}'."
        )
        out["path"] = [*path, arg_name]
        out["extensions"] = {
            "code": "argumentLiteralsIncompatible",
            "typeName": "Field",
            "argumentName": arg_name,
        }
        return out
    if path:
        out["path"] = path
    return out


def _explain(message: str, path: list) -> tuple[list, str]:
    """Map a graphql-core input problem to Shopify's (path, explanation)."""
    m = re.match(r"Expected value of type '(\w+)' not to include unknown field '(\w+)'", message)
    if m:
        return [*path, m.group(2)], f"Field is not defined on {m.group(1)}"
    m = re.match(r"Expected value of type '\w+' to include required field '(\w+)'", message)
    if m:
        return [*path, m.group(1)], "Expected value to not be null"
    if "not to be None" in message or "to be provided" in message:
        return path, "Expected value to not be null"
    m = re.match(r"Value '(.+)' does not exist in '(\w+)' enum", message)
    if m:
        return path, f'Expected "{m.group(1)}" to be one of: {{values}}'
    m = re.match(r"Enum '(\w+)' cannot represent non-enum value: (.+?)\.", message)
    if m:
        return path, f'Expected "{m.group(2).strip(chr(39))}" to be one of: {{values}}'
    for scalar in ("Int", "Float", "String", "Boolean", "ID"):
        if message.startswith(f"{scalar} cannot represent"):
            return path, f"Could not coerce value to {scalar}"
    return path, message.rstrip(".")


def coerce_variables(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    inputs: dict[str, Any],
) -> tuple[dict[str, Any], list[dict]]:
    """Coerce variables like graphql-core, reporting failures in Shopify's INVALID_VARIABLE form."""
    coerced: dict[str, Any] = {}
    errors: list[dict] = []
    for definition in operation.variable_definitions or ():
        definition: VariableDefinitionNode
        name = definition.variable.name.value
        var_type = type_from_ast(schema, definition.type)
        type_text = print_ast(definition.type)
        if var_type is None:
            errors.append(
                {
                    "message": f"{type_text} isn't a defined input type (on ${name})",
                    "locations": _loc(definition),
                    "extensions": {"code": "variableRequiresValidType", "typeName": type_text},
                }
            )
            continue
        if name not in inputs or inputs[name] is None:
            if definition.default_value is not None and name not in inputs:
                continue
            if var_type.__class__.__name__ == "GraphQLNonNull":
                errors.append(
                    {
                        "message": f"Variable ${name} of type {type_text} was provided "
                        "invalid value",
                        "locations": _loc(definition),
                        "extensions": {
                            "code": "INVALID_VARIABLE",
                            "value": None,
                            "problems": [
                                {"path": [], "explanation": "Expected value to not be null"}
                            ],
                        },
                    }
                )
                continue
            if name in inputs:
                coerced[name] = None
            continue
        problems: list[dict] = []

        validate_input_value(inputs[name], var_type, _problem_collector(schema, var_type, problems))
        if problems:
            detail = ", ".join(
                f"{'.'.join(str(p) for p in pr['path'])} ({pr['explanation']})"
                for pr in problems
                if pr["path"]
            )
            message = f"Variable ${name} of type {type_text} was provided invalid value"
            if detail:
                message += f" for {detail}"
            errors.append(
                {
                    "message": message,
                    "locations": _loc(definition),
                    "extensions": {
                        "code": "INVALID_VARIABLE",
                        "value": inputs[name],
                        "problems": problems,
                    },
                }
            )
        else:
            coerced[name] = coerce_input_value(inputs[name], var_type)
    return coerced, errors


def _problem_collector(schema: GraphQLSchema, var_type: Any, problems: list[dict]) -> Any:
    """An on_error callback that appends Shopify-style problems to ``problems``."""

    def on_error(error: GraphQLError, path: list) -> None:
        where, explanation = _explain(error.message, list(path))
        if "{values}" in explanation:
            enum = _find_enum(schema, var_type, where)
            values = ", ".join(enum.values) if enum is not None else ""
            explanation = explanation.replace("{values}", values)
        problems.append({"path": where, "explanation": explanation})

    return on_error


def _find_enum(schema: GraphQLSchema, var_type: Any, path: list) -> Any:
    from graphql import GraphQLEnumType, GraphQLInputObjectType, get_nullable_type

    current = var_type
    for part in path:
        current = get_nullable_type(current)
        if hasattr(current, "of_type") and isinstance(part, int):
            current = current.of_type
        elif isinstance(current, GraphQLInputObjectType) and part in current.fields:
            current = current.fields[part].type
    while hasattr(current, "of_type"):
        current = current.of_type
    return current if isinstance(current, GraphQLEnumType) else None


def max_cost_error(cost: int, max_cost: int) -> dict:
    return {
        "message": (
            f"Query cost is {cost}, which exceeds the single query max cost limit ({max_cost}).\n\n"
            "See https://shopify.dev/concepts/about-apis/rate-limits for more information on how "
            "the\ncost of a query is calculated.\n\nTo query larger amounts of data with fewer "
            "limits, bulk operations should be used instead.\nSee "
            "https://shopify.dev/tutorials/perform-bulk-operations-with-admin-api for usage "
            "details.\n"
        ),
        "extensions": {
            "code": "MAX_COST_EXCEEDED",
            "cost": cost,
            "maxCost": max_cost,
            "documentation": RATE_LIMIT_DOC,
        },
    }


def throttled_error() -> dict:
    return {
        "message": "Throttled",
        "extensions": {"code": "THROTTLED", "documentation": RATE_LIMIT_DOC},
    }


def _variable_usages(document: DocumentNode) -> dict[str, int]:
    counts: dict[str, int] = {}

    class Counter(Visitor):
        def enter_argument(self, node, *_args):
            for var in _variables_in(node.value):
                counts[var] = counts.get(var, 0) + 1

    visit(document, Counter())
    return counts


def _variables_in(value: Any) -> list[str]:
    kind = getattr(value, "kind", "")
    if kind == "variable":
        return [value.name.value]
    if kind == "list_value":
        return [v for item in value.values for v in _variables_in(item)]
    if kind == "object_value":
        return [v for f in value.fields for v in _variables_in(f.value)]
    return []


def validation_errors(document: DocumentNode, problems: list[GraphQLError]) -> list[dict]:
    """All validation errors, plus graphql-ruby's "declared but not used" for variables whose
    only use is an argument the field does not accept."""
    out = [validation_error(document, p) for p in problems]
    usages = _variable_usages(document)
    extra = []
    for problem, rendered in zip(problems, out, strict=False):
        if rendered.get("extensions", {}).get("code") != "argumentNotAccepted":
            continue
        node = problem.nodes[0] if problem.nodes else None
        for var in _variables_in(getattr(node, "value", None)):
            if usages.get(var) == 1:
                op = next(
                    (d for d in document.definitions if isinstance(d, OperationDefinitionNode)),
                    None,
                )
                name = op.name.value if op is not None and op.name else "anonymous query"
                extra.append(
                    {
                        "message": f"Variable ${var} is declared by {name} but not used",
                        "locations": _loc(op),
                        "path": [operation_label(op)],
                        "extensions": {"code": "variableNotUsed", "variableName": var},
                    }
                )
    return out + extra


_GID_RE = re.compile(r"^gid://[^/]+/\w+/[^/]+$")


def is_global_id(value: object) -> bool:
    return isinstance(value, str) and bool(_GID_RE.match(value))


def literal_id_errors(schema: GraphQLSchema, document: DocumentNode) -> list[dict]:
    """Shopify rejects ID literals that are not global ids at validation time."""
    from graphql import TypeInfo, TypeInfoVisitor, get_named_type

    type_info = TypeInfo(schema)
    errors: list[dict] = []

    fields: list[Any] = []

    class Check(Visitor):
        def enter_field(self, node, *_args):
            fields.append(node)

        def leave_field(self, node, *_args):
            fields.pop()

        def enter_argument(self, node, *_args):
            arg = type_info.get_argument()
            if arg is None or get_named_type(arg.type).name != "ID":
                return
            if node.value.kind == "string_value" and not is_global_id(node.value.value):
                errors.append(
                    {
                        "message": f"Invalid global id '{node.value.value}'",
                        "locations": _loc(fields[-1] if fields else node),
                        "path": [*_path_to(document, node), node.name.value],
                        "extensions": {
                            "code": "argumentLiteralsIncompatible",
                            "typeName": "CoercionError",
                        },
                    }
                )

    visit(document, TypeInfoVisitor(type_info, Check()))
    return errors


def variable_id_errors(
    schema: GraphQLSchema, operation: OperationDefinitionNode, inputs: dict[str, Any]
) -> list[dict]:
    """Top-level ``ID`` variables must hold global ids."""
    errors = []
    for definition in operation.variable_definitions or ():
        var_type = type_from_ast(schema, definition.type)
        named = var_type
        while named is not None and hasattr(named, "of_type"):
            named = named.of_type
        if (
            named is None
            or getattr(named, "name", "") != "ID"
            or hasattr(getattr(var_type, "of_type", None), "of_type")
        ):
            continue
        name = definition.variable.name.value
        value = inputs.get(name)
        if isinstance(value, str) and not is_global_id(value):
            text = f"Invalid global id '{value}'"
            errors.append(
                {
                    "message": f"Variable ${name} of type {print_ast(definition.type)} was "
                    "provided invalid value",
                    "locations": _loc(definition),
                    "extensions": {
                        "code": "INVALID_VARIABLE",
                        "value": value,
                        "problems": [{"path": [], "explanation": text, "message": text}],
                    },
                }
            )
    return errors
