import pytest

from devstack.template import Route, Template
from ponte.settings import MissingSetting, Settings
from statemachines import full_sync as full_sync_asl
from statemachines import lint as statelint


def test_settings_from_env() -> None:
    settings = Settings.from_env(
        {
            "TABLE_NAME": "t",
            "AWS_REGION": "sa-east-1",
            "JWT_ISSUER": "https://idp/",
            "JWT_AUDIENCE": "a, b",
            "USER_RATE_LIMIT_PER_HOUR": "10",
        }
    )
    assert (settings.table_name, settings.region) == ("t", "sa-east-1")
    assert settings.jwt.issuer == "https://idp"
    assert settings.jwt.jwks_url == "https://idp/.well-known/jwks.json"
    assert settings.jwt.audience == ("a", "b")
    assert settings.user_rate_limit_per_hour == 10
    assert settings.api_client_rate_limit == 60


def test_route_matching() -> None:
    route = Route("DELETE", "/api/admin/api-clients/{client_id}", "F", True)
    assert route.match("DELETE", "/api/admin/api-clients/abc") == {"client_id": "abc"}
    assert route.match("GET", "/api/admin/api-clients/abc") is None
    assert route.match("DELETE", "/api/admin/api-clients/abc/x") is None
    assert Route("GET", "/x/{proxy+}", "F", True).match("GET", "/x/a/b") == {"proxy": "a/b"}


def test_template_conditions_follow_parameters() -> None:
    cognito = Template.read()
    assert "UserPool" in cognito.resources("AWS::Cognito::UserPool")
    oidc = Template.read({"JwtIssuer": "https://login.example.com"})
    assert oidc.resources("AWS::Cognito::UserPool") == {}


def test_functions_resolve_to_modules() -> None:
    template = Template.read({"JwtIssuer": "https://idp"})
    template.physical["Table"] = "tbl"
    template.physical["BundleBucket"] = "bundles"
    template.physical["RecordBucket"] = "records"
    template.physical["FullSyncStateMachine"] = "arn:aws:states:us-east-1:1:stateMachine:fs"
    template.physical["RoleSyncStateMachine"] = "arn:aws:states:us-east-1:1:stateMachine:rs"
    template.physical["PullQueue"] = "https://sqs.us-east-1.amazonaws.com/1/pull"
    template.attributes[("PullQueue", "Arn")] = "arn:aws:sqs:us-east-1:1:pull"
    template.physical["PullDeadLetterQueue"] = "https://sqs.us-east-1.amazonaws.com/1/dead"
    template.attributes[("PullDeadLetterQueue", "Arn")] = "arn:aws:sqs:us-east-1:1:dead"
    template.physical["CursorKey"] = "arn:aws:secretsmanager:us-east-1:1:secret:cursor"
    template.physical["ConnectionSchedules"] = "ponte-dev-connections"
    template.attributes[("SchedulerRole", "Arn")] = "arn:aws:iam::1:role/scheduler"
    health = template.functions()["HealthFunction"]
    assert (health.module, health.attribute) == ("functions.health.app", "handler")
    assert health.environment["TABLE_NAME"] == "tbl"
    assert health.environment["JWT_ISSUER"] == "https://idp"


def test_a_missing_required_setting_fails_at_once() -> None:
    with pytest.raises(MissingSetting, match="TABLE_NAME"):
        Settings.from_env({"AWS_REGION": "us-east-1"})
    with pytest.raises(MissingSetting, match="TABLE_NAME"):
        Settings.from_env({"TABLE_NAME": "   "})


def test_defaults_apply_where_the_environment_is_silent() -> None:
    settings = Settings.from_env({"TABLE_NAME": "t", "KOMMO_BASE_URL": " "})
    assert settings.kommo_base_url == "https://{subdomain}.kommo.com"
    assert settings.full_sync_map_concurrency == 4
    assert settings.jwt.algorithms == ("RS256", "ES256")
    assert settings.jwt.jwks_url == ""  # no issuer, no JWKS


def test_committed_full_sync_definition_is_the_builders_output() -> None:
    """Edit statemachines/full_sync.py and run `python -m statemachines.full_sync`."""
    assert full_sync_asl.PATH.read_text() == full_sync_asl.render()


def test_full_sync_definition_applies_entities_in_dependency_order() -> None:
    states = full_sync_asl.definition()["States"]
    order, state = [], states["Prepare"]["Next"]
    while state != "Mirror":
        order.append(state)
        state = states[state]["Next"]
    assert order == [
        "Institutions", "InstitutionsDone", "Units", "UnitsDone", "Areas", "AreasDone",
        "Courses", "CoursesDone", "Subjects", "SubjectsDone", "People", "PeopleDone",
        "Enrollments", "EnrollmentsDone",
    ]  # fmt: skip
    branches = [b["StartAt"] for b in states["People"]["Branches"]]
    assert branches == ["Professors", "Students"]


def test_every_state_machine_passes_statelint() -> None:
    assert set(statelint.definitions()) == {"FullSyncStateMachine", "RoleSyncStateMachine"}
    assert statelint.main() == 0


def test_every_function_logs_to_a_group_with_the_stages_retention() -> None:
    template = Template.read()
    groups = {
        props["LogGroupName"]["Fn::Sub"]: props["RetentionInDays"]
        for props in (r["Properties"] for r in template.resources("AWS::Logs::LogGroup").values())
        if "LogGroupName" in props
    }
    for name in template.resources("AWS::Serverless::Function"):
        retention = groups.get(f"/aws/lambda/${{{name}}}")
        assert retention == {"Fn::If": ["IsProd", 90, 14]}, name
    access = template.resources("AWS::Logs::LogGroup")["ApiAccessLogs"]["Properties"]
    assert access["RetentionInDays"] == {"Fn::If": ["IsProd", 90, 14]}
