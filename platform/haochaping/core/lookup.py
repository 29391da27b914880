from .errors import NotFound


def get_or_not_found(model, pk: int, what_zh: str, what_en: str, field: str = "id"):
    obj = model._default_manager.filter(pk=pk).first()
    if obj is None:
        raise NotFound(what_zh, what_en, field)
    return obj
