"""The exchange formats and their code tables: every mapping both ways, Table 9 and provincial conformance,
masked and redacted personal data, and typed errors for unknown codes."""
from __future__ import annotations

import json
import re
from datetime import datetime

import pytest
from django.utils import timezone

from haochaping.core.channels import EvaluationChannel
from haochaping.core.errors import DomainError
from haochaping.evaluations import grades
from haochaping.evaluations.models import Evaluation, ServiceCase
from haochaping.exchange import codes
from haochaping.exchange.formats import (NATIONAL_FIELDS, PROVINCIAL_FIELDS, division_code, from_national,
                                         from_provincial, to_national, to_provincial)

from .helpers import ID_NUMBER, PHONE, PII_COMMENT, RATED_AT


class Unit:
    def __init__(self, official_code: str):
        self.official_code = official_code

    def __str__(self):
        return self.official_code


TOWNSHIP = Unit("411325901")
PROVINCES = codes.provinces()
ALL_TABLES = [codes.NATIONAL, *PROVINCES]


def evaluation(**values) -> Evaluation:
    """An unsaved evaluation of case HCP-0001 (the formats need no database)."""
    defaults = dict(case=ServiceCase(case_number="HCP-0001"), round=1, grade=5, channel="HOTLINE", comment="",
                    rater_name="张三丰", rater_phone=PHONE, rated_at=RATED_AT)
    defaults.update(values)
    return Evaluation(**defaults)


# --- the code tables as data ----------------------------------------------------------------------------------


def test_every_table_records_its_source_and_whether_it_is_provisional():
    data = json.loads(codes.TABLES_FILE.read_text(encoding="utf-8"))
    for group in ("satisfaction", "channels"):
        for name, table in data[group].items():
            assert table["source"].strip(), name
            assert isinstance(table["provisional"], bool), name
            if table["provisional"]:
                assert "provisional" in table["source"], name
    # No channel code table is confirmed yet: all say so.
    assert all(table["provisional"] for table in data["channels"].values())
    assert {"national", "henan", "province_b"} <= set(data["channels"])


def test_the_example_conflict_is_represented_code_6_is_telephone_in_one_province_and_sms_in_another():
    assert codes.channel_from_code("6", "henan", "pf") == "HOTLINE"
    assert codes.channel_from_code("6", "province_b", "pf") == "SMS"
    assert codes.channel_to_code("SMS", "henan") != codes.channel_to_code("SMS", "province_b")


@pytest.mark.parametrize("table", ALL_TABLES)
def test_each_channel_table_is_a_bijection_over_every_internal_channel(table):
    entries = codes.channel_table(table)["codes"]
    assert sorted(entry["channel"] for entry in entries.values()) == sorted(EvaluationChannel.values)
    assert all(re.fullmatch(r"[1-9][0-9]*", code) for code in entries)


# --- every mapping both ways ----------------------------------------------------------------------------------


@pytest.mark.parametrize("table", ALL_TABLES)
@pytest.mark.parametrize("channel", EvaluationChannel.values)
def test_channel_codes_both_ways(table, channel):
    code = codes.channel_to_code(channel, table)
    assert codes.channel_from_code(code, table, "pf") == channel
    assert codes.channel_from_code(int(code), table, "pf") == channel  # an integer code in JSON is read too


@pytest.mark.parametrize("table", ALL_TABLES)
def test_channel_codes_decode_back_to_the_same_code(table):
    for code in codes.channel_table(table)["codes"]:
        assert codes.channel_to_code(codes.channel_from_code(code, table, "pf"), table) == code


@pytest.mark.parametrize("grade", grades.GRADES)
def test_satisfaction_codes_both_ways(grade):
    national = codes.grade_to_code(grade, "gbt39046_a8")
    provincial = codes.grade_to_code(grade, "provincial")
    # A.8 runs 1 = 非常满意 … 5 = 非常不满意, the same as grades.to_gbt39046; provinces run the internal order.
    assert int(national) == grades.to_gbt39046(grade) == 6 - grade
    assert int(provincial) == grade
    assert codes.grade_from_code(national, "gbt39046_a8", "满意度代码") == grade
    assert codes.grade_from_code(provincial, "provincial", "satisfaction") == grade
    assert codes.satisfaction_label(national, "gbt39046_a8") == grades.LABELS["SATISFACTION"][grade]
    assert codes.satisfaction_label(provincial, "provincial") == grades.LABELS["SATISFACTION"][grade]


def test_satisfaction_code_tables_name_the_ends_as_the_standards_do():
    assert codes.satisfaction_label("1", "gbt39046_a8") == "非常满意"
    assert codes.satisfaction_label("5", "gbt39046_a8") == "非常不满意"
    assert codes.satisfaction_label("1", "provincial") == "非常不满意"
    assert codes.satisfaction_label("5", "provincial") == "非常满意"


@pytest.mark.parametrize("round_", [1, 2])
def test_rounds_both_ways(round_):
    assert codes.round_from_code(codes.round_to_code(round_), "评价次数") == round_
    assert codes.round_from_code(str(round_), "assessNumber") == round_


@pytest.mark.parametrize("grade", grades.GRADES)
@pytest.mark.parametrize("channel", EvaluationChannel.values)
@pytest.mark.parametrize("round_", [1, 2])
def test_national_record_round_trip(grade, channel, round_):
    record = to_national(evaluation(grade=grade, channel=channel, round=round_), TOWNSHIP)
    parsed = from_national(record)
    assert (parsed.channel, parsed.grade, parsed.round, parsed.rated_at) == (channel, grade, round_, RATED_AT)
    assert parsed.case_number == "HCP-0001"


@pytest.mark.parametrize("province", PROVINCES)
@pytest.mark.parametrize("grade", grades.GRADES)
@pytest.mark.parametrize("channel", EvaluationChannel.values)
@pytest.mark.parametrize("round_", [1, 2])
def test_provincial_record_round_trip(province, grade, channel, round_):
    record = to_provincial(evaluation(grade=grade, channel=channel, round=round_), province)
    parsed = from_provincial(record, province)
    assert (parsed.channel, parsed.grade, parsed.round, parsed.rated_at) == (channel, grade, round_, RATED_AT)
    assert parsed.case_number == "HCP-0001"


def test_a_provincial_record_read_with_the_wrong_province_gives_a_different_channel():
    record = to_provincial(evaluation(channel="SMS"), "province_b")
    assert record["pf"] == "6"
    assert from_provincial(record, "henan").channel == "HOTLINE"  # why each province keeps its own table


# --- conformance ------------------------------------------------------------------------------------------------


def test_table_9_conformance():
    record = to_national(evaluation(grade=5, channel="HOTLINE", round=2, comment="很好"), TOWNSHIP)
    assert tuple(record) == NATIONAL_FIELDS == (
        "办件编号", "评价渠道", "评价人", "评价时间", "评价次数", "满意度", "满意度代码", "文字评价", "行政区划")
    assert record["办件编号"] == "HCP-0001"
    assert record["评价时间"] == "20250304T090203"  # local time (Asia/Shanghai), YYYYMMDDThhmmss
    assert re.fullmatch(r"\d{8}T\d{6}", record["评价时间"])
    assert record["评价次数"] == 2
    assert record["满意度代码"] == "1" and record["满意度"] == "非常满意"  # A.8: 1 = 非常满意
    assert record["评价渠道"] == codes.channel_to_code("HOTLINE", "national")
    assert record["行政区划"] == "411325"
    assert record["文字评价"] == "很好"
    json.dumps(record, ensure_ascii=False)  # plain JSON values only


def test_table_9_worst_grade_is_code_5():
    record = to_national(evaluation(grade=1), TOWNSHIP)
    assert record["满意度代码"] == "5" and record["满意度"] == "非常不满意"


def test_provincial_conformance():
    record = to_provincial(evaluation(grade=5, channel="SMS", round=1, comment="满意"), "henan")
    assert tuple(record) == PROVINCIAL_FIELDS == ("projectNo", "pf", "satisfaction", "evalDetail", "assessNumber",
                                                  "assessTime")
    assert record == {"projectNo": "HCP-0001", "pf": "7", "satisfaction": "5", "evalDetail": "满意",
                      "assessNumber": "1", "assessTime": "2025-03-04 09:02:03"}
    worst = to_provincial(evaluation(grade=1, channel="HOTLINE", round=2), "province_b")
    assert (worst["pf"], worst["satisfaction"], worst["assessNumber"]) == ("7", "1", "2")  # 1 = 非常不满意


@pytest.mark.parametrize("official_code, expected", [
    ("411325901", "411325"),        # township: its 9-digit division code's county part
    ("411325901001", "411325"),     # a 12-digit code too
    ("411325", "411325"),           # the county itself
    ("12411325MB0000000X", "411325"),  # USCC: characters 3–8 are the registering authority's division code
])
def test_division_code(official_code, expected):
    assert division_code(Unit(official_code)) == expected


def test_a_unit_without_a_division_code_is_a_typed_error():
    with pytest.raises(DomainError) as error:
        division_code(Unit("ABC"))
    assert error.value.codes == ["NO_DIVISION_CODE"]


# --- personal data ------------------------------------------------------------------------------------------------


def test_phone_and_id_number_in_a_comment_are_redacted_and_the_rater_masked():
    e = evaluation(comment=PII_COMMENT)
    national = to_national(e, TOWNSHIP)
    provincial = to_provincial(e, "henan")
    for text in (json.dumps(national, ensure_ascii=False), json.dumps(provincial, ensure_ascii=False)):
        assert PHONE not in text and ID_NUMBER not in text and "张三丰" not in text
        assert "13812345678"[3:7] not in text.replace("****", "")  # no part of the phone survives
    assert national["文字评价"] == provincial["evalDetail"] == "电话[电话] 身份证[证件号] 办事很慢"
    assert national["评价人"] == "张**"


def test_an_anonymous_rater_is_named_anonymous():
    assert to_national(evaluation(rater_name=""), TOWNSHIP)["评价人"] == "匿名"


# --- typed errors -------------------------------------------------------------------------------------------------


def good_national() -> dict:
    return to_national(evaluation(), TOWNSHIP)


def good_provincial() -> dict:
    return to_provincial(evaluation(), "henan")


@pytest.mark.parametrize("field, value, code", [
    ("评价渠道", "99", "UNKNOWN_CHANNEL_CODE"),
    ("评价渠道", "", "INVALID_CODE"),
    ("评价渠道", True, "INVALID_CODE"),
    ("满意度代码", "6", "UNKNOWN_SATISFACTION_CODE"),
    ("满意度代码", "0", "UNKNOWN_SATISFACTION_CODE"),
    ("满意度代码", 1.0, "INVALID_CODE"),
    ("评价次数", 3, "UNKNOWN_ROUND"),
    ("评价时间", "2025-03-04 09:02:03", "INVALID_TIME"),
    ("评价时间", "20250230T090203", "INVALID_TIME"),
    ("满意度", "满意", "INCONSISTENT_SATISFACTION"),
])
def test_bad_national_records_raise_typed_errors(field, value, code):
    record = good_national() | {field: value}
    with pytest.raises(DomainError) as error:
        from_national(record)
    assert error.value.codes == [code]
    assert error.value.errors[0].field == field
    assert error.value.errors[0].message and error.value.errors[0].message_en


@pytest.mark.parametrize("field, value, code", [
    ("pf", "9", "UNKNOWN_CHANNEL_CODE"),
    ("pf", "６", "INVALID_CODE"),  # a full-width digit is not a code
    ("satisfaction", "6", "UNKNOWN_SATISFACTION_CODE"),
    ("assessNumber", "0", "UNKNOWN_ROUND"),
    ("assessTime", "20250304T090203", "INVALID_TIME"),
    ("assessTime", "2025-13-04 09:02:03", "INVALID_TIME"),
])
def test_bad_provincial_records_raise_typed_errors(field, value, code):
    record = good_provincial() | {field: value}
    with pytest.raises(DomainError) as error:
        from_provincial(record, "henan")
    assert error.value.codes == [code]
    assert error.value.errors[0].field == field


def test_missing_fields_are_all_listed():
    with pytest.raises(DomainError) as error:
        from_provincial({"projectNo": "X"}, "henan")
    assert error.value.codes == ["MISSING_FIELD"] * 4
    assert {e.field for e in error.value.errors} == {"pf", "satisfaction", "assessNumber", "assessTime"}


def test_an_unknown_province_is_a_typed_error_both_ways():
    with pytest.raises(DomainError) as error:
        to_provincial(evaluation(), "atlantis")
    assert error.value.codes == ["UNKNOWN_CODE_TABLE"]
    with pytest.raises(DomainError) as error:
        from_provincial(good_provincial(), "national")
    assert error.value.codes == ["UNKNOWN_CODE_TABLE"]


def test_an_evaluation_without_a_case_is_not_exchangeable():
    with pytest.raises(DomainError) as error:
        to_national(evaluation(case=None), TOWNSHIP)
    assert error.value.codes == ["NO_CASE"]


def test_parsed_times_are_aware_and_local():
    parsed = from_national(good_national())
    assert timezone.is_aware(parsed.rated_at)
    assert timezone.localtime(parsed.rated_at).replace(tzinfo=None) == datetime(2025, 3, 4, 9, 2, 3)
