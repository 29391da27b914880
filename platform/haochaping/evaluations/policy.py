from .models import EvaluationPolicy


def get_policy() -> EvaluationPolicy:
    """The tenant's settings; the defaults (unsaved) until an admin changes them. Reading never writes: a
    refused submission or an anonymous rating page must store nothing."""
    return EvaluationPolicy.objects.order_by("pk").first() or EvaluationPolicy()


POLICY_LIMITS = {
    "supplementary_days": (1, 90),
    "device_min_interval_seconds": (0, 600),
    "device_max_per_hour": (1, 3600),
    "ip_max_per_hour": (1, 10000),
    "phone_max_per_day": (1, 1000),
    "streak_length": (2, 1000),
    "streak_seconds": (10, 86400),
    "board_alert_bad_percent": (1, 100),
    "board_alert_minutes": (1, 1440),
    "board_alert_min_ratings": (1, 1000),
}


def update_policy(**changes) -> EvaluationPolicy:
    from haochaping.core.errors import ErrorCollector

    errors = ErrorCollector()
    for name, value in changes.items():
        if value is None:
            continue
        if name == "label_set":
            if value not in EvaluationPolicy.LabelSet.values:
                errors.add("INVALID_LABEL_SET", "labelSet", "评价等级文字须为满意度或好差两种之一", "Unknown label set")
            continue
        low, high = POLICY_LIMITS[name]
        if not low <= value <= high:
            camel = name.split("_")[0] + "".join(part.title() for part in name.split("_")[1:])
            errors.add("OUT_OF_RANGE", camel, f"取值须在{low}到{high}之间", f"Must be between {low} and {high}")
    errors.raise_if_any()
    policy = get_policy()  # validated first: a refused update stores nothing, not even the default row
    for name, value in changes.items():
        if value is not None:
            setattr(policy, name, value)
    policy.save()
    return policy
