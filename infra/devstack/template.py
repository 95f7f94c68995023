"""Read ``template.yaml`` (SAM/CloudFormation) into what the local stack needs.

Only the intrinsics the template uses are resolved: Ref, Fn::GetAtt, Fn::Sub, Fn::If,
Fn::Equals, Fn::Not, Fn::Join, Fn::Select. An unsupported one fails loudly.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"


NO_VALUE = object()  # what Ref AWS::NoValue resolves to: dropped by Template.resolve


class _CfnLoader(yaml.SafeLoader):
    pass


def _tag(loader: yaml.Loader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {"Ref" if suffix == "Ref" else f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _tag)


def load(path: Path = TEMPLATE) -> dict[str, Any]:
    document: dict[str, Any] = yaml.load(path.read_text(), Loader=_CfnLoader)  # noqa: S506
    return document


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    function: str  # logical id
    authorized: bool

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if self.method not in (method, "ANY"):
            return None
        escaped = re.escape(self.path)
        # {name} is one segment; {proxy+} (greedy) is the rest of the path.
        escaped = re.sub(r"\\\{(\w+)\\\+\\\}", r"(?P<\1>.+)", escaped)
        pattern = "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", escaped) + "$"
        found = re.match(pattern, path)
        return found.groupdict() if found else None


@dataclass(frozen=True)
class Function:
    logical_id: str
    code_uri: str
    handler: str
    environment: dict[str, str]
    timeout: int
    memory: int

    @property
    def module(self) -> str:
        """The importable module: ``functions/health/`` + ``app.handler`` -> functions.health.app"""
        package = self.code_uri.strip("/").replace("/", ".")
        return f"{package}.{self.handler.rsplit('.', 1)[0]}"

    @property
    def attribute(self) -> str:
        return self.handler.rsplit(".", 1)[1]


@dataclass
class Template:
    document: dict[str, Any]
    parameters: dict[str, str]
    physical: dict[str, str] = field(default_factory=dict)
    attributes: dict[tuple[str, str], str] = field(default_factory=dict)
    region: str = "us-east-1"
    account: str = "123456789012"

    @classmethod
    def read(cls, overrides: Mapping[str, str] | None = None, path: Path = TEMPLATE) -> Template:
        document = load(path)
        params = {
            name: str(spec.get("Default", ""))
            for name, spec in (document.get("Parameters") or {}).items()
        }
        params.update(overrides or {})
        return cls(document=document, parameters=params)

    # -- resources -------------------------------------------------------------------------
    def resources(self, *types: str) -> dict[str, dict[str, Any]]:
        found = {}
        for logical_id, resource in (self.document.get("Resources") or {}).items():
            if types and resource["Type"] not in types:
                continue
            if "Condition" in resource and not self.condition(resource["Condition"]):
                continue
            found[logical_id] = resource
        return found

    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.document["Conditions"][name]))

    def functions(self) -> dict[str, Function]:
        globals_ = (self.document.get("Globals") or {}).get("Function", {})
        result = {}
        for logical_id, resource in self.resources("AWS::Serverless::Function").items():
            props = resource["Properties"]
            env = dict((globals_.get("Environment") or {}).get("Variables") or {})
            env.update((props.get("Environment") or {}).get("Variables") or {})
            result[logical_id] = Function(
                logical_id=logical_id,
                code_uri=props["CodeUri"],
                handler=props["Handler"],
                environment={k: str(self.resolve(v)) for k, v in env.items()},
                timeout=int(props.get("Timeout", globals_.get("Timeout", 3))),
                memory=int(props.get("MemorySize", globals_.get("MemorySize", 128))),
            )
        return result

    def routes(self) -> list[Route]:
        routes = []
        for logical_id, resource in self.resources("AWS::Serverless::Function").items():
            for event in (resource["Properties"].get("Events") or {}).values():
                if event["Type"] != "HttpApi":
                    continue
                props = event["Properties"]
                auth = (props.get("Auth") or {}).get("Authorizer")
                routes.append(
                    Route(
                        method=props["Method"].upper(),
                        path=props["Path"],
                        function=logical_id,
                        authorized=auth != "NONE",
                    )
                )
        # Literal segments beat parameters, as in API Gateway.
        return sorted(routes, key=lambda r: (r.path.count("{"), -len(r.path)))

    def queue_consumers(self) -> list[tuple[str, str, int, int | None]]:
        """(queue logical id, function logical id, batch size, maximum concurrency or None)
        of every SQS event source."""
        found = []
        for logical_id, resource in self.resources("AWS::Serverless::Function").items():
            for event in (resource["Properties"].get("Events") or {}).values():
                if event["Type"] != "SQS":
                    continue
                queue = event["Properties"]["Queue"]
                queue_id = queue["Fn::GetAtt"][0] if isinstance(queue, dict) else str(queue)
                size = int(event["Properties"].get("BatchSize", 10))
                scaling = event["Properties"].get("ScalingConfig") or {}
                most = scaling.get("MaximumConcurrency")
                found.append((queue_id, logical_id, size, int(most) if most else None))
        return found

    def state_machine_definition(self, logical_id: str) -> str:
        """The state machine's ASL with its DefinitionSubstitutions filled in."""
        props = self.resources("AWS::Serverless::StateMachine")[logical_id]["Properties"]
        definition = (ROOT / str(props["DefinitionUri"])).read_text()
        for key, value in (props.get("DefinitionSubstitutions") or {}).items():
            definition = definition.replace("${" + key + "}", str(self.resolve(value)))
        return definition

    def authorizer_function(self) -> str | None:
        for resource in self.resources("AWS::Serverless::HttpApi").values():
            auth = resource["Properties"].get("Auth") or {}
            default = auth.get("DefaultAuthorizer")
            if default:
                arn = auth["Authorizers"][default]["FunctionArn"]
                return str(arn["Fn::GetAtt"][0])
        return None

    # -- intrinsics ------------------------------------------------------------------------
    def resolve(self, value: Any) -> Any:
        """``value`` with its intrinsics resolved; a property or item that resolves to
        ``AWS::NoValue`` is left out, as CloudFormation does."""
        if isinstance(value, list):
            return [r for r in (self.resolve(v) for v in value) if r is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) != 1:
            resolved = {k: self.resolve(v) for k, v in value.items()}
            return {k: v for k, v in resolved.items() if v is not NO_VALUE}
        ((name, arg),) = value.items()
        handler = self._intrinsics().get(name)
        if handler is None:
            if name.startswith("Fn::") or name == "Ref":
                raise ValueError(f"intrinsic {name} is not supported by the local stack")
            resolved = self.resolve(arg)
            return {} if resolved is NO_VALUE else {name: resolved}
        return handler(arg)

    def _intrinsics(self) -> dict[str, Callable[[Any], Any]]:
        return {
            "Ref": self._ref,
            "Fn::GetAtt": lambda a: self._get_att(a[0], a[1]),
            "Fn::Sub": self._sub,
            "Fn::If": lambda a: self.resolve(a[1] if self.condition(a[0]) else a[2]),
            "Fn::Equals": lambda a: str(self.resolve(a[0])) == str(self.resolve(a[1])),
            "Fn::Not": lambda a: not self.resolve(a[0]),
            "Fn::Join": lambda a: str(a[0]).join(str(self.resolve(v)) for v in a[1]),
            "Fn::Select": lambda a: self.resolve(a[1])[int(a[0])],
        }

    def _pseudo(self) -> dict[str, str]:
        return {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::Partition": "aws",
            "AWS::StackName": "ponte-local",
        }

    def _ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.parameters:
            return self.parameters[name]
        if name in self._pseudo():
            return self._pseudo()[name]
        if name in self.physical:
            return self.physical[name]
        raise ValueError(f"Ref {name}: resource not provisioned by the local stack")

    def _get_att(self, logical_id: str, attribute: str) -> str:
        key = (logical_id, attribute)
        if key not in self.attributes:
            raise ValueError(f"GetAtt {logical_id}.{attribute}: not provisioned locally")
        return self.attributes[key]

    def _sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(self.resolve(variables[name]))
            if "." in name:
                logical_id, attribute = name.split(".", 1)
                return self._get_att(logical_id, attribute)
            return str(self._ref(name))

        return re.sub(r"\$\{([^}!]+)\}", replace, text)
