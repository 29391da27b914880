"""Grades: inside the system 5 is best and ≤ 2 is a bad review. Exchange formats are mapped at the edge."""

GRADES = (5, 4, 3, 2, 1)
BAD_REVIEW_MAX_GRADE = 2
LABELS = {
    "SATISFACTION": {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"},
    "QUALITY": {5: "很好", 4: "好", 3: "一般", 2: "差", 1: "很差"},
}
LABELS_EN = {
    "SATISFACTION": {5: "Very satisfied", 4: "Satisfied", 3: "Fairly satisfied", 2: "Dissatisfied", 1: "Very dissatisfied"},
    "QUALITY": {5: "Very good", 4: "Good", 3: "Fair", 2: "Poor", 1: "Very poor"},
}


def is_bad(grade: int) -> bool:
    return grade <= BAD_REVIEW_MAX_GRADE


def _check(value, what: str) -> int:
    # bool and float compare equal to ints (True == 1, 1.0 == 1): an exchange record with them is malformed.
    if type(value) is not int or value not in GRADES:
        raise ValueError(f"{what} must be an integer 1–5, not {value!r}")
    return value


def to_gbt39046(grade: int) -> int:
    """GB/T 39046 code table A.8 runs 1 = 非常满意 … 5 = 非常不满意."""
    return 6 - _check(grade, "Grade")


def from_gbt39046(code: int) -> int:
    return 6 - _check(code, "GB/T 39046 grade code")
