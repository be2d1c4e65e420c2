from __future__ import annotations

import pytest

from firebell.postmortems.rca import (
    Cause,
    FiveWhys,
    advice,
    chains,
    depth,
    parse_five_whys,
    root_causes,
    shallow_chains,
)
from tests.unit.postmortems.examples import WEBSITE_FIVE_WHYS
from tests.unit.postmortems.helpers import refused


def test_the_guides_chain_with_a_branch_has_two_chains_and_two_root_causes() -> None:
    whys = parse_five_whys(WEBSITE_FIVE_WHYS)
    found = chains(whys)
    assert [len(chain) for chain in found] == [5, 3]
    assert found[0][0].text == "The load balancer marks all backend servers as unhealthy"
    assert found[0][-1].text.startswith("A deployment raised the connection timeout")
    assert found[1][:2] == found[0][:2]  # the branch shares the first two whys
    assert [c.text for c in root_causes(whys)] == [
        "A deployment raised the connection timeout from 5s to 60s, so connections are held longer",
        "The 2 second health check timeout was never tuned",
    ]
    assert depth(whys) == 5


def test_a_bare_string_is_a_cause_without_sub_causes_and_json_round_trips() -> None:
    whys = parse_five_whys(WEBSITE_FIVE_WHYS)
    assert parse_five_whys(whys.to_json()) == whys
    assert whys.to_json()["problem"] == "Website returning 503 errors"
    assert parse_five_whys({"problem": "p", "causes": ["  a\n  cause  "]}) == FiveWhys("p", (Cause("a cause"),))


def test_short_chains_are_advice_not_errors() -> None:
    whys = FiveWhys("Checkout fails", (Cause("Payments API times out", (Cause("Its pool is too small"),)),))
    assert shallow_chains(whys) == ((whys.causes[0], whys.causes[0].causes[0]),)
    [hint] = advice(whys)
    assert '"Its pool is too small" is reached after 2 whys' in hint
    assert advice(FiveWhys("Checkout fails")) == ('No cause yet: ask "why?" of the problem.',)
    assert advice(parse_five_whys(WEBSITE_FIVE_WHYS)) == ()  # 5 and 3 whys: both deep enough
    assert len(shallow_chains(parse_five_whys(WEBSITE_FIVE_WHYS), minimum=4)) == 1


def test_a_problem_without_causes_is_a_draft_of_depth_zero() -> None:
    whys = parse_five_whys({"problem": "Website down"})
    assert chains(whys) == ()
    assert root_causes(whys) == ()
    assert depth(whys) == 0


def _nested(levels: int) -> dict[str, object]:
    cause: object = "bottom"
    for k in range(levels - 1):
        cause = {"text": f"why {k}", "causes": [cause]}
    return {"problem": "p", "causes": [cause]}


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ([], "five_whys", "must be an object"),
        ({"causes": []}, "five_whys.problem", "must be a string"),
        ({"problem": "  "}, "five_whys.problem", "must not be empty"),
        ({"problem": "p", "why": []}, "five_whys.why", "unknown field; use problem, causes"),
        ({"problem": "p", "causes": [{"causes": []}]}, "five_whys.causes.0.text", "must be a string"),
        ({"problem": "p", "causes": [{"text": 3}]}, "five_whys.causes.0.text", "must be a string"),
        ({"problem": "p", "causes": {}}, "five_whys.causes", "must be a list"),
        (
            {"problem": "p", "causes": ["ok", {"text": "x", "causes": "y"}]},
            "five_whys.causes.1.causes",
            "must be a list",
        ),
        ({"problem": "x" * 501}, "five_whys.problem", "is 501 characters long; at most 500"),
        ({"problem": "a\x00b"}, "five_whys.problem", "must not contain control characters"),
        ({"problem": "p", "causes": ["c"] * 21}, "five_whys.causes", "has 21 items; at most 20"),
    ],
)
def test_bad_input_names_the_field(data: object, field: str, message: str) -> None:
    assert refused(parse_five_whys, data) == (field, message)


def test_depth_and_size_are_limited() -> None:
    assert depth(parse_five_whys(_nested(10))) == 10
    field, message = refused(parse_five_whys, _nested(11))
    assert field == "five_whys" + ".causes.0" * 10 + ".causes"
    assert message.startswith("nests too deep")

    def wide(branches: int) -> dict[str, object]:
        causes = [{"text": f"c{i}", "causes": [f"d{j}" for j in range(10)]} for i in range(branches)]
        return {"problem": "p", "causes": causes}

    assert len(root_causes(parse_five_whys(wide(18)))) == 180  # 198 causes
    assert refused(parse_five_whys, wide(19)) == ("five_whys", "has more than 200 causes")


def test_the_field_prefix_can_be_chosen() -> None:
    assert refused(lambda d: parse_five_whys(d, field="rca.whys"), {"problem": ""})[0] == "rca.whys.problem"
