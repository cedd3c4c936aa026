"""The one way a page shows a service's ``ValidationError``: each message at its field, the
others (non-field errors, keys the form has no field for) at the top of the form."""

from django.core.exceptions import ValidationError


def add_service_errors(form, error: ValidationError, field_map=None) -> None:
    """Put ``error``'s messages on ``form``. ``field_map`` renames a service's keys to the
    form's field names (``{"G2": "answer_G2"}``)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    field_map = field_map or {}
    for key, errors in error.error_dict.items():
        name = field_map.get(key, key)
        form.add_error(name if name in form.fields else None, errors)
