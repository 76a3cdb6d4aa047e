#!/usr/bin/env python3
"""Check schemas/topology.schema.json and the files that must agree with it.

1. The schema itself is a valid JSON Schema draft 2020-12 document.
2. Every topologies/*.yaml is accepted by it and opens with the editor modeline.
3. Every Tests/PodnetTopologyTests/Fixtures/dual-stack/*.yaml and ipv6-only/*.yaml
   (valid dual-stack and IPv6-only files) is accepted by it.
4. Every file under Tests/PodnetTopologyTests/Fixtures/invalid/ whose first line
   carries the marker `# schema: reject` is rejected by it. The other invalid
   fixtures are skipped: their mistakes are semantic (overlaps, references,
   duplicates), which podnet checks and a schema cannot.

YAML is read as YAML 1.2 (core schema), like podnet's own loader and the YAML
language server: `yes`, `on` and `012:30` stay strings, `0o17` is octal. Duplicate
keys and non-string keys are errors, as in podnet.

Usage: check_schema.py [REPOSITORY_ROOT]   (default: two levels above this file)
Exit status: 0 all good, 1 a check failed, 2 a required module is missing.
"""

import difflib
import json
import re
import sys
from pathlib import Path

try:
    import jsonschema
    import yaml
except ImportError as error:
    print(f"check_schema.py needs the Python modules jsonschema and PyYAML: {error}.\n"
          "Install them with: python3 -m pip install jsonschema pyyaml", file=sys.stderr)
    sys.exit(2)

SCHEMA = Path("schemas/topology.schema.json")
TOPOLOGIES = Path("topologies")
INVALID_FIXTURES = Path("Tests/PodnetTopologyTests/Fixtures/invalid")
DUAL_STACK_FIXTURES = Path("Tests/PodnetTopologyTests/Fixtures/dual-stack")
IPV6_ONLY_FIXTURES = Path("Tests/PodnetTopologyTests/Fixtures/ipv6-only")
MODELINE = "# yaml-language-server: $schema=../schemas/topology.schema.json"
REJECT_MARKER = "# schema: reject"


# --- YAML 1.2 core schema on top of PyYAML's safe loader (which is YAML 1.1) ---

_BOOL, _INT, _FLOAT = "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
_YAML11_ONLY = {_BOOL, _INT, _FLOAT, "tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:value"}


class Loader(yaml.SafeLoader):
    """PyYAML's SafeLoader with YAML 1.2 core-schema scalars and strict mappings."""


Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in _YAML11_ONLY]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Loader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
Loader.add_implicit_resolver(_INT, re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"), list("-+0123456789"))
Loader.add_implicit_resolver(
    _FLOAT,
    re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+0123456789."))


def _construct_int(loader, node):
    text = loader.construct_scalar(node)
    sign, body = (-1, text[1:]) if text.startswith("-") else (1, text.lstrip("+"))
    if body.startswith("0o"):
        return sign * int(body[2:], 8)
    if body.startswith("0x"):
        return sign * int(body[2:], 16)
    return sign * int(body, 10)


def _construct_mapping(loader, node, deep=False):
    loader.flatten_mapping(node)
    mapping = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if not isinstance(key, str):
            raise yaml.constructor.ConstructorError(
                None, None, f"a key must be a string, not {type(key).__name__} {key!r}", key_node.start_mark)
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key '{key}'", key_node.start_mark)
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


Loader.add_constructor(_INT, _construct_int)
Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(text):
    """Returns (data, root node); raises yaml.YAMLError."""
    loader = Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
        return data, node
    finally:
        loader.dispose()


# --- reporting ---

def position(node, path):
    """Line and column (1-based) of the YAML node at a JSON path, or of its closest parent."""
    best = node
    for part in path:
        if isinstance(node, yaml.MappingNode):
            node = next((value for key, value in node.value
                         if isinstance(key, yaml.ScalarNode) and key.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            node = None
        if node is None:
            break
        best = node
    if best is None:
        return 1, 1
    return best.start_mark.line + 1, best.start_mark.column + 1


# What each named pattern of the schema's $defs means, for messages.
PATTERN_MEANINGS = {
    "ipv4Address": "is not a plain IPv4 address: four numbers 0-255 without leading zeros and "
                   "without a /length, like 10.200.0.2",
    "ipv4Prefix": "is not an IPv4 prefix: an address and a length /0 to /32, like 10.200.0.0/16",
    "ipv4Multicast": "is not an IPv4 multicast address (224.0.0.0/4), like 239.1.1.1",
    "dnsLabel": "is not a DNS label: lowercase letters, digits and '-', starting and ending "
                "with a letter or digit",
    "interfaceName": "is not an interface name: 1 to 15 characters, no '/', ':' or whitespace",
    "portRange": "is not a port range: the lowest and highest port, 1 to 65535, joined by '-', like '30000-32767'",
}


def pattern_meanings(schema):
    meanings = {}
    for name, fragment in schema.get("$defs", {}).items():
        if isinstance(fragment, dict) and "pattern" in fragment and name in PATTERN_MEANINGS:
            meanings[fragment["pattern"]] = PATTERN_MEANINGS[name]
    labels = schema.get("$defs", {}).get("labels", {})
    key_pattern = labels.get("propertyNames", {}).get("pattern")
    value_pattern = labels.get("additionalProperties", {}).get("pattern")
    if key_pattern:
        meanings[key_pattern] = ("is not a label key: an optional DNS prefix and '/', then 1-63 letters, "
                                 "digits, '-', '_' or '.', starting and ending with a letter or digit")
    if value_pattern:
        meanings[value_pattern] = ("is not a label value: empty, or at most 63 letters, digits, '-', '_' or '.', "
                                   "starting and ending with a letter or digit")
    meanings["^[a-z][a-z0-9-]*$"] = "is not a cluster name: a lowercase letter, then lowercase letters, digits and '-'"
    return meanings


MEANINGS = {}


def describe(error):
    """One line per error, in a user's words where jsonschema's are poor."""
    message = error.message
    if error.instance is None and not error.absolute_path:
        return "the file holds no topology; it needs at least name, clusterCIDR and nodes"
    if error.validator == "pattern" and error.validator_value in MEANINGS:
        return f"{error.instance!r} {MEANINGS[error.validator_value]}"
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = list(error.schema.get("properties", {}))
        unknown = [key for key in error.instance if key not in allowed]
        hints = []
        for key in unknown:
            close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
            lower = [name for name in allowed if name.lower() == key.lower()]
            suggestion = (lower or close or [None])[0]
            hints.append(f"unknown key '{key}'" + (f"; did you mean '{suggestion}'?" if suggestion else
                                                    f"; expected one of: {', '.join(allowed)}"))
        message = "; ".join(hints) or message
    elif error.validator == "oneOf" and "selector" in json.dumps(error.validator_value):
        has = [key for key in ("selector", "endpoints") if isinstance(error.instance, dict) and key in error.instance]
        message = ("a service needs a selector or endpoints, not both" if len(has) == 2
                   else "a service needs a selector (labels of its pods) or endpoints (a list of pod names)")
    elif error.validator == "not" and error.validator_value == {"const": "underlay"}:
        kind = next((part[:-1] for part in error.absolute_path if part in ("nodes", "pods", "clients")), "node")
        message = f"the {kind} name 'underlay' is reserved"
    elif error.validator == "not" and error.validator_value == {"required": ["nodePort"]}:
        message = "a nodePort is only for a service of type NodePort; set 'type: NodePort' on the service, or remove the nodePort"
    elif error.validator == "not" and isinstance(error.validator_value, dict) and "enum" in error.validator_value:
        reserved = ", ".join(str(name) for name in error.validator_value["enum"])
        message = f"{error.instance!r} is a reserved name ({reserved})"
    elif error.context:
        # anyOf/oneOf: say why each alternative failed, leaving out bare
        # alternatives such as `none` that the description already names.
        details = []
        for sub in error.context:
            text = describe(sub)
            if sub.validator != "const" and text not in details:
                details.append(text)
        allowed = [sub.validator_value for sub in error.context if sub.validator == "const"]
        prefix = f"{error.instance!r} is not {' or '.join(repr(v) for v in allowed)}, and " if allowed else ""
        message = prefix + "; ".join(details) if details else message
    return message


def schema_errors(validator, data, node):
    found = []
    for error in validator.iter_errors(data):
        line, column = position(node, list(error.absolute_path))
        where = "/".join(str(part) for part in error.absolute_path) or "(top level)"
        # At one position, a rule that follows from another field (if/then) is
        # reported after the field's own shape errors.
        conditional = int("then" in error.absolute_schema_path)
        found.append((line, column, conditional, f"{where}: {describe(error)}"))
    return [(line, column, message) for line, column, _, message in sorted(found)]


def main(argv):
    root = Path(argv[1]).resolve() if len(argv) > 1 else Path(__file__).resolve().parents[2]
    passed = failed = skipped = 0

    def ok(text):
        nonlocal passed
        passed += 1
        print(f"ok {text}")

    def fail(text, details=()):
        nonlocal failed
        failed += 1
        print(f"FAIL {text}")
        for line in details:
            print(f"  {line}")

    schema_path = root / SCHEMA
    try:
        schema = json.loads(schema_path.read_text(encoding="utf-8"))
        jsonschema.Draft202012Validator.check_schema(schema)
    except (OSError, ValueError) as error:
        fail(f"{SCHEMA}: cannot read it as JSON: {error}")
        print(f"{passed} passed, {failed} failed")
        return 1
    except jsonschema.exceptions.SchemaError as error:
        fail(f"{SCHEMA}: not a valid draft 2020-12 schema", [str(error.message)])
        print(f"{passed} passed, {failed} failed")
        return 1
    ok(f"{SCHEMA} (a valid draft 2020-12 schema)")
    MEANINGS.update(pattern_meanings(schema))
    validator = jsonschema.Draft202012Validator(schema)

    examples = sorted(list((root / TOPOLOGIES).glob("*.yaml")) + list((root / TOPOLOGIES).glob("*.yml")))
    if not examples:
        fail(f"{TOPOLOGIES}/: no example topologies found")
    dual_stack = sorted((root / DUAL_STACK_FIXTURES).glob("*.yaml"))
    if not dual_stack:
        fail(f"{DUAL_STACK_FIXTURES}/: no dual-stack files found")
    ipv6_only = sorted((root / IPV6_ONLY_FIXTURES).glob("*.yaml"))
    if not ipv6_only:
        fail(f"{IPV6_ONLY_FIXTURES}/: no IPv6-only files found")
    dual_stack += ipv6_only
    for path in examples + dual_stack:
        name = path.relative_to(root)
        text = path.read_text(encoding="utf-8")
        try:
            data, node = load_yaml(text)
        except yaml.YAMLError as error:
            fail(str(name), [f"not valid YAML: {error}".replace("\n", " ")])
            continue
        problems = [f"{name}:{line}:{column}: {message}" for line, column, message in schema_errors(validator, data, node)]
        # Fixtures are not what editors open; only the examples carry the modeline.
        if path in examples and text.split("\n", 1)[0].strip() != MODELINE:
            problems.append(f"{name}:1:1: the first line must be the editor modeline: {MODELINE}")
        if problems:
            fail(str(name), problems)
        else:
            ok(str(name))

    fixtures_dir = root / INVALID_FIXTURES
    if fixtures_dir.is_dir():
        for path in sorted(p for p in fixtures_dir.rglob("*") if p.is_file()):
            name = path.relative_to(root)
            text = path.read_text(encoding="utf-8", errors="replace")
            if REJECT_MARKER not in text.split("\n", 1)[0]:
                skipped += 1
                continue
            try:
                data, node = load_yaml(text)
            except yaml.YAMLError as error:
                ok(f"{name} (rejected: not valid YAML: {str(error).splitlines()[0]})")
                continue
            errors = schema_errors(validator, data, node)
            if errors:
                line, column, message = errors[0]
                more = f" and {len(errors) - 1} more" if len(errors) > 1 else ""
                ok(f"{name} (rejected: {line}:{column}: {message}{more})")
            else:
                fail(f"{name}: marked '{REJECT_MARKER}' but the schema accepts it")
        if skipped:
            print(f"skipped {skipped} invalid fixture(s) without the '{REJECT_MARKER}' marker (semantic mistakes)")

    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
