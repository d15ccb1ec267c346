#!/usr/bin/env python3
"""JSON Schemas derived from the TranscriptionBot CRD and from Kubernetes' own definitions.

    schema.py cr-schema CRD.yaml        print the JSON Schema of a TranscriptionBot object: the
                                        CRD's openAPIV3Schema, made strict as the API server's
                                        strict field validation is (unknown fields are errors)
    schema.py values [--check]          regenerate the generated $defs of values.schema.json:
                                        `botSpec` (bot.spec) from crds/, and every `io.k8s.*`
                                        definition the hand-written part refers to, from the
                                        kubernetes-validate package's strict definitions;
                                        --check fails instead of writing when they are stale
    schema.py strict FILE.json          fail when an object schema in FILE allows unknown keys

tests/chart.rs runs all three; needs Python 3 with PyYAML (a dependency of kubernetes-validate).
CEL rules (x-kubernetes-validations) are not evaluated here: the operator's tests cover them.
"""

import copy
import json
import os
import sys

import yaml

CHART = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VALUES_SCHEMA = os.path.join(CHART, "values.schema.json")
CHART_CRD = os.path.join(CHART, "crds", "transcriptionbots.scribe.dev.yaml")
# The newest Kubernetes release kubernetes-validate knows: values accept its fields.
K8S_DEFINITIONS = "v1.37.0-local-strict"
# Credentials are references the chart builds from bot.credentials, never values.
CREDENTIAL_FIELDS = {
    (): ["rabbitmq", "database"],
    ("telegram",): ["tokenSecretRef"],
    ("dashscope",): ["apiKeySecretRef"],
    ("gemini",): ["apiKeySecretRef"],
    ("fallback",): ["apiKeySecretRef"],
    ("asr", "openai"): ["apiKeySecretRef"],
    ("llm", "openai"): ["apiKeySecretRef"],
}
DROPPED_KEYWORDS = {"description", "default", "title"}


def openapi_to_jsonschema(node):
    """OpenAPI v3 (structural CRD schema) to JSON Schema 2020-12, strict about unknown fields."""
    if isinstance(node, list):
        return [openapi_to_jsonschema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key in DROPPED_KEYWORDS or key.startswith("x-kubernetes-") or key == "nullable":
            continue
        if key == "properties":
            out[key] = {k: openapi_to_jsonschema(v) for k, v in value.items()}
        elif key in ("items", "additionalProperties", "not"):
            out[key] = openapi_to_jsonschema(value)
        elif key in ("allOf", "anyOf", "oneOf"):
            out[key] = [openapi_to_jsonschema(v) for v in value]
        elif key == "message" or key == "rule":
            continue
        else:
            out[key] = value
    if node.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    preserve = node.get("x-kubernetes-preserve-unknown-fields")
    if out.get("type") == "object" and "properties" in out and not preserve:
        out.setdefault("additionalProperties", False)
    if node.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    return out


def load_crd(path):
    with open(path, encoding="utf-8") as f:
        crd = yaml.safe_load(f)
    return crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]


def cr_schema(crd_path):
    schema = openapi_to_jsonschema(load_crd(crd_path))
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    props = schema["properties"]
    props["apiVersion"] = {"const": "scribe.dev/v1alpha1"}
    props["kind"] = {"const": "TranscriptionBot"}
    # The API server validates metadata itself; require what a manifest must carry.
    props["metadata"] = {
        "type": "object",
        "required": ["name"],
        "properties": {"name": {"type": "string", "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "maxLength": 45}},
    }
    schema["required"] = sorted(set(schema.get("required", [])) | {"apiVersion", "kind", "metadata", "spec"})
    return schema


def bot_spec_schema(crd_path):
    """bot.spec of values: the CRD's spec without the credential references, nothing required."""
    spec = copy.deepcopy(load_crd(crd_path)["properties"]["spec"])
    for path, fields in CREDENTIAL_FIELDS.items():
        node = spec
        for part in path:
            node = node["properties"][part]
        for field in fields:
            node["properties"].pop(field, None)
            if field in node.get("required", []):
                node["required"].remove(field)
        if not node.get("required"):
            node.pop("required", None)
    spec.pop("required", None)
    return openapi_to_jsonschema(spec)


def kubernetes_definitions():
    import kubernetes_validate  # noqa: PLC0415 (only this subcommand needs it)

    path = os.path.join(
        os.path.dirname(kubernetes_validate.__file__),
        "kubernetes-json-schema",
        K8S_DEFINITIONS,
        "_definitions.json",
    )
    with open(path, encoding="utf-8") as f:
        return json.load(f)["$defs"]


def refs(node, found):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith("#/$defs/"):
                found.add(value[len("#/$defs/"):])
            else:
                refs(value, found)
    elif isinstance(node, list):
        for value in node:
            refs(value, found)
    return found


def strip(node):
    """Drops annotation keywords (descriptions, defaults), never a property of that name."""
    if isinstance(node, list):
        return [strip(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key in DROPPED_KEYWORDS:
            continue
        if key in ("properties", "patternProperties", "$defs"):
            out[key] = {k: strip(v) for k, v in value.items()}
        else:
            out[key] = strip(value)
    return out


def generated_defs(schema):
    """Every generated $defs entry, given the hand-written part of the schema."""
    handwritten = {k: v for k, v in schema.items() if k != "$defs"}
    handwritten_defs = {k: v for k, v in schema.get("$defs", {}).items() if not generated_name(k)}
    wanted = {r for r in refs([handwritten, handwritten_defs], set()) if r.startswith("io.k8s.")}
    k8s = kubernetes_definitions()
    closure = set()
    todo = sorted(wanted)
    while todo:
        name = todo.pop()
        if name in closure:
            continue
        closure.add(name)
        todo.extend(sorted(r for r in refs(k8s[name], set()) if r not in closure))
    out = {"botSpec": bot_spec_schema(CHART_CRD)}
    for name in sorted(closure):
        out[name] = strip(k8s[name])
    return out


def generated_name(name):
    return name == "botSpec" or name.startswith("io.k8s.")


def values(check):
    with open(VALUES_SCHEMA, encoding="utf-8") as f:
        current_text = f.read()
    schema = json.loads(current_text)
    defs = {k: v for k, v in schema.get("$defs", {}).items() if not generated_name(k)}
    defs.update(generated_defs(schema))
    schema["$defs"] = defs
    text = json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
    if text == current_text:
        return 0
    if check:
        print(
            "values.schema.json: the generated $defs (botSpec from crds/, io.k8s.* from "
            "kubernetes-validate) are stale; run: python3 charts/scribe/ci/schema.py values",
            file=sys.stderr,
        )
        return 1
    with open(VALUES_SCHEMA, "w", encoding="utf-8") as f:
        f.write(text)
    return 0


# The only schemas that accept unknown keys, and why:
OPEN_BY_DESIGN = (
    # global: Helm passes it to every subchart; this chart reads none of it.
    "/properties/global",
    # extraObjects items are whole Kubernetes objects of any kind; tests/chart.rs validates them
    # once rendered (kubernetes-validate --strict), the API server on install.
    "/$defs/kubernetesObject",
    # managedFields entries (reachable from ephemeral volume templates) are opaque in Kubernetes.
    "/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1",
)


def strict(path):
    """Every object schema either lists its properties with additionalProperties false, or is
    a map whose values have a schema; $refs point to such schemas."""
    with open(path, encoding="utf-8") as f:
        schema = json.load(f)
    problems = []

    def is_object(node):
        t = node.get("type")
        return t == "object" or (isinstance(t, list) and "object" in t)

    def walk(node, where):
        if isinstance(node, dict):
            if is_object(node) and "$ref" not in node:
                extra = node.get("additionalProperties", True)
                if extra is True or extra == {}:
                    problems.append(where or "/")
            for key, value in node.items():
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{where}/{i}")

    walk(schema, "")
    problems = [p for p in problems if not p.startswith(OPEN_BY_DESIGN)]
    for p in problems:
        print(f"{path}: object schema at {p} accepts unknown keys", file=sys.stderr)
    return 1 if problems else 0


def main(argv):
    if len(argv) == 3 and argv[1] == "cr-schema":
        json.dump(cr_schema(argv[2]), sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    if len(argv) in (2, 3) and argv[1] == "values":
        return values(check=argv[2:] == ["--check"])
    if len(argv) == 3 and argv[1] == "strict":
        return strict(argv[2])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
