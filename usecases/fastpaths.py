"""Every performance shortcut that reaches into a framework (Django, DRF, simple-history) or hangs
a memo on a model instance, in one place, each with what it saves and how it was measured.

The weekly review submission (``POST /api/v1/weekly-reviews/``, issue 9: ≥ 100/s on 2 workers)
is where they pay; ``tests/api/test_weekly_review_submit_cost.py`` holds the query counts and
``make bench`` (``BENCH_ONLY=submission``) the throughput. Measured on 2 cores (issue 21, in one
process, interleaved, so machine load affects both sides alike):

- ``OnceBuiltHistoryManager``: simple-history builds a manager class per ``instance.history``
  access (every save writes a history row through it): ~0.55 ms per save without it, ~5 µs with
  it (2–3 % of a submission's CPU). Kept: it uses simple-history's documented
  ``history_manager`` option and Django's public ``Manager.from_queryset``.
- ``ClassFieldsMixin`` (DRF ``ModelSerializer.get_fields`` once per class): 3–5 ms of CPU per
  review serializer without it, under 1 ms with it (the biggest single CPU saving of a
  submission). Kept, and used by every model serializer of the API
  (``tests/api/test_serializer_fields.py`` checks them all).
- ``loaded_relations``: ``full_clean`` re-reads every foreign key it validates; the review's use
  case, users and model version were read (and permission-checked) moments before. Without it a
  submission runs 11 statements instead of 8. Kept. It reads Django's field cache through the
  field's ``is_cached``/``get_cached_value`` (``FieldCacheMixin``).
- ``bulk_history``: the simple-history records of many saves in one INSERT (and one for the
  many-to-many copies), for a service that writes many rows at once (the stop-loss sweep moving
  many use cases to redesign, ``usecases.transitions.apply_many``): the records ``save()`` writes,
  without one INSERT (and one read of the contributors) per row. Uses simple-history's documented
  ``bulk_history_create`` and its ``m2m_models`` registry for the copies it leaves out.
- ``bulk_history_of_created``: the history records of rows just inserted (the sweep's new flags)
  copied from the rows in one ``INSERT … SELECT``: no history instance built, no value prepared
  in Python. Falls back to ``bulk_history`` whenever the records would differ (per-row user,
  reason or date; many-to-many copies). In-process A/B with the other cuts of issue 20's last
  step: the first run 273–357 ms → 210–262 ms (benchmarks/README.md).
- ``insert_new``: a new row's ``save()`` (issue 20, the review a submission inserts): the same
  INSERT, the same signals, its SQL compiled once per connection and model instead of an
  ``InsertQuery`` built and compiled per save (``tests/usecases/test_fastpaths.py`` compares the
  rows written).
- ``insert_new_with_history``: ``insert_new``, the row's history copy and the caller's other
  writes (a submission's reminders UPDATE) as one statement of data-modifying ``WITH`` queries
  on PostgreSQL: two round trips fewer per submission (issue 20; benchmarks/README.md, "The
  submission beside a bare read", fifth round). SQLite runs the three one after the other.
- ``memo``: per-request answers cached on the ``User`` (roles, "owns a use case") and on a
  ``UseCase`` (is the requesting user a contributor, read with it in one query). Each saves a
  query per permission check; all attribute names start with ``_valuegate_`` and are set only
  here.
"""

from __future__ import annotations

import copy
import weakref
from collections.abc import Callable

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, router, transaction
from django.db.models.expressions import DatabaseDefault
from django.db.models.signals import post_save, pre_save
from django.utils import timezone
from rest_framework import serializers
from simple_history.manager import HistoryManager
from simple_history.models import HistoricalRecords
from simple_history.utils import (
    get_change_reason_from_object,
    get_history_manager_for_model,
    get_m2m_field_name,
)

from .prepared_sql import prepared_cursor

# --- memos on model instances -------------------------------------------------------------------

#: The memos a request may hang on a user or a use case (attribute ``_valuegate_<name>``);
#: ``change_in_effect``: ``(sunday, ModelChange or None)`` read with the use case
#: (``reviews.services.use_case_for_week``).
MEMOS = ("roles", "is_owner", "contributor_snapshot", "change_in_effect")


def _attribute(name: str) -> str:
    if name not in MEMOS:
        raise ValueError(f"unknown memo {name!r}; expected one of {MEMOS}")
    return f"_valuegate_{name}"


def memo(instance, name: str, compute: Callable[[], object], *, keep: bool = True):
    """The answer ``name`` cached on ``instance`` (a request's user or use case), computed once
    by ``compute``; ``keep=False`` computes without caching (an anonymous user)."""
    attribute = _attribute(name)
    value = getattr(instance, attribute, None)
    if value is None:
        value = compute()
        if keep:
            setattr(instance, attribute, value)
    return value


def remember(instance, name: str, value) -> None:
    """Cache ``value`` as the memo ``name`` of ``instance`` (read in the same query)."""
    setattr(instance, _attribute(name), value)


def recall(instance, name: str):
    """The memo ``name`` of ``instance``, None if it was never cached."""
    return getattr(instance, _attribute(name), None)


def forget(instance, name: str) -> None:
    """Drop a memo (a role changed within the request, e.g. in a test)."""
    instance.__dict__.pop(_attribute(name), None)


# --- simple-history -----------------------------------------------------------------------------


class OnceBuiltHistoryManager(HistoryManager):
    """simple-history's ``HistoryManager``, its queryset class built once.

    simple-history reaches ``instance.history`` on every save (to write the history row), and its
    descriptor builds a new manager class there (``from_queryset``, which inspects every method
    of the queryset class). The class depends on its arguments only, so it is built once per
    argument set; the manager works as before."""

    _built: dict = {}

    @classmethod
    def from_queryset(cls, queryset_class, class_name=None):
        key = (cls, queryset_class, class_name)
        built = cls._built.get(key)
        if built is None:
            built = cls._built[key] = super().from_queryset(queryset_class, class_name)
        return built


def audit_history() -> HistoricalRecords:
    """The audit history of a model written on the hot path (``OnceBuiltHistoryManager``)."""
    return HistoricalRecords(history_manager=OnceBuiltHistoryManager)


def bulk_history(model, instances: list, *, update: bool) -> list:
    """The history records ``instance.save()`` writes for each of ``instances`` (saved already,
    each stamped with ``usecases.audit.stamp``), written in bulk: ``bulk_history_create`` (the
    user and reason stamped, else simple-history's user; ``update``: "changed", else "created"),
    and the copies of the many-to-many rows the model's history tracks (a use case's
    contributors), which ``bulk_history_create`` leaves out. At most one read and two INSERTs
    whatever the number of instances. Returns the records."""
    if not instances:
        return []
    # No reason stamped: None, as ``save()`` records it (``bulk_history_create`` would write "").
    records = get_history_manager_for_model(model).bulk_history_create(
        instances, update=update, default_change_reason=None
    )
    if not records:  # SIMPLE_HISTORY_ENABLED = False
        return []
    for field in records[0]._history_m2m_fields:
        through = field.remote_field.through
        owner = f"{get_m2m_field_name(field)}_id"
        rows: dict[int, list] = {}
        for row in through.objects.filter(**{f"{owner}__in": [i.pk for i in instances]}):
            rows.setdefault(getattr(row, owner), []).append(row)
        copy_model = HistoricalRecords.m2m_models[field]
        names = [f.attname for f in through._meta.concrete_fields]
        copy_model.objects.bulk_create(
            copy_model(history=record, **{name: getattr(row, name) for name in names})
            for record, instance in zip(records, instances, strict=True)
            for row in rows.get(instance.pk, ())
        )
    return records


def bulk_history_of_created(model, instances: list) -> None:
    """``bulk_history(model, instances, update=False)`` for rows just inserted and not changed
    since (the sweep's new flags): the history records copied from the rows themselves in one
    ``INSERT … SELECT`` instead of a model instance built and every value prepared per record
    (issue 20: the sweep's first run, 214 flags at full size). The same records, in the same
    order (by id, the order ``bulk_create`` inserted them in), when the instances share one
    history user and reason and carry no own history date; otherwise, and for a model whose
    history copies many-to-many rows, ``bulk_history`` itself."""
    if not instances or not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return
    copied = _history_copy(model, instances)
    if copied is None:
        bulk_history(model, instances, update=False)
        return
    insert, select, params = copied
    quote = connection.ops.quote_name
    pk = quote(model._meta.pk.column)
    ids = sorted(i.pk for i in instances)
    sql = (
        f"{insert} {select} FROM {quote(model._meta.db_table)} "
        f"WHERE {pk} IN ({', '.join(['%s'] * len(ids))}) ORDER BY {pk}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *ids])


def _history_copy(model, instances: list):
    """``bulk_history_of_created``'s record copy: ``(INSERT INTO <history> (<columns>), SELECT
    <the row's tracked columns>, %s, %s, %s, %s, the four params)`` to copy rows of ``model``'s
    table (or a row set with its columns) into their "created" history records, or None when the
    records would differ from ``bulk_history``'s (more than one user or reason, an own history
    date, many-to-many copies, a history relation)."""
    history = get_history_manager_for_model(model).model
    stamps = {
        (
            i._history_user if hasattr(i, "_history_user") else history.get_default_history_user(i),
            get_change_reason_from_object(i) or None,
        )
        for i in instances
    }
    if (
        len(stamps) != 1
        or history._history_m2m_fields
        or hasattr(history, "history_relation")
        or any(hasattr(i, "_history_date") for i in instances)
    ):
        return None
    ((user, reason),) = stamps
    quote = connection.ops.quote_name
    tracked = list(history.tracked_fields)
    columns = [history._meta.get_field(f.attname).column for f in tracked]
    columns += ["history_date", "history_change_reason", "history_type", "history_user_id"]
    columns = [history._meta.get_field(c).column for c in columns]
    date_field = history._meta.get_field("history_date")
    insert = f"INSERT INTO {quote(history._meta.db_table)} ({', '.join(map(quote, columns))})"
    select = f"SELECT {', '.join(quote(f.column) for f in tracked)}, %s, %s, %s, %s"
    params = [
        date_field.get_db_prep_value(timezone.now(), connection),
        reason,
        "+",
        None if user is None else user.pk,
    ]
    return insert, select, params


# --- Django model saves -------------------------------------------------------------------------


#: ``insert_new``'s compiled INSERTs: connection → model → (SQL, returning fields, their params,
#: converters, compiler), or None for a model it leaves to ``save()``.
_INSERTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _attributes(instance, fields):
    return (getattr(instance, field.attname) for field in fields)


def _not_a_value(value) -> bool:
    return hasattr(value, "resolve_expression") or isinstance(value, DatabaseDefault)


def insert_new(instance) -> None:
    """``instance.save()`` of a new row (``_state.adding``, no primary key yet) on the default
    database: the same INSERT with the same values (each field's ``pre_save`` and
    ``get_db_prep_save``), the same ``pre_save``/``post_save`` signals and the same returned
    columns set on the instance, without an ``InsertQuery`` built and compiled per save: the SQL
    is compiled by Django once per connection and model, the first time, and kept only when it
    takes each field's value as one plain parameter, in order. Anything ``save()`` does
    differently — a model with parents, a proxy, a generated or ``db_default`` column, a
    placeholder of a field's own, an expression or a ``DatabaseDefault`` as a value, another
    database, a primary key set — goes through ``save()`` itself. A model's own ``save()``
    override is not run: the caller does what it does first."""
    found = _insert_plan(instance)
    if found is None:
        instance.save()
        return
    connection_, fields, plan = found
    params = _pre_save(instance, fields, connection_)
    sql, returning_fields, returning_params, converters, compiler = plan
    with (
        transaction.mark_for_rollback_on_error(using=connection_.alias),
        prepared_cursor(connection_) as cursor,
    ):
        cursor.execute(sql, (*params, *returning_params))
        rows = connection_.ops.fetch_returned_rows(cursor, returning_params)
    _post_save(instance, rows, plan, connection_)


def insert_new_with_history(instance, *, also=()) -> None:
    """``insert_new(instance)``, its "created" history record as ``bulk_history_of_created``
    copies it (``instance.skip_history_when_saving`` set by the caller, as for that one), then
    each of ``also``'s ``(sql, params)`` (data-modifying statements that do not read the new row,
    e.g. ``reviews.reminders.settle_statement``): on PostgreSQL one statement, the INSERT and
    the history copy from its ``RETURNING`` as data-modifying ``WITH`` queries, each of
    ``also`` another (issue 20: a submission's round trips to the database); the same rows,
    signals and instance as the three run one after the other, which is what every other case
    does (SQLite, a row ``insert_new`` leaves to ``save()``, a record ``bulk_history`` writes)."""
    model = type(instance)
    found = _insert_plan(instance) if connection.vendor == "postgresql" else None
    copied = None
    if found is not None and getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        copied = _history_copy(model, [instance])
    statement = None if copied is None else _insert_with(found[2], copied, also)
    if statement is None:
        insert_new(instance)
        bulk_history_of_created(model, [instance])
        with connection.cursor() as cursor:
            for sql, params in also:
                cursor.execute(sql, params)
        return
    connection_, fields, plan = found
    params = _pre_save(instance, fields, connection_)
    sql, extra = statement
    with (
        transaction.mark_for_rollback_on_error(using=connection_.alias),
        prepared_cursor(connection_) as cursor,
    ):
        cursor.execute(sql, (*params, *extra))
        rows = cursor.fetchall()
    _post_save(instance, rows, plan, connection_)


def _insert_with(plan, copied, also):
    """The single statement of ``insert_new_with_history`` and its params after the row's
    values, or None when ``plan``'s SQL is not ``INSERT … VALUES (…) RETURNING …``."""
    sql, returning_fields, returning_params, _, _ = plan
    head, returning, _ = sql.rpartition(" RETURNING ")
    if not returning or returning_params or not head.endswith(")"):
        return None
    quote = connection.ops.quote_name
    insert, select, params = copied
    parts = [f"{quote('new_row')} AS ({head} RETURNING *)"]
    parts.append(f"{quote('new_history')} AS ({insert} {select} FROM {quote('new_row')})")
    params = list(params)
    for n, (other_sql, other_params) in enumerate(also):
        parts.append(f"{quote(f'also_{n}')} AS ({other_sql})")
        params += other_params
    returned = ", ".join(quote(f.column) for f in returning_fields)
    return f"WITH {', '.join(parts)} SELECT {returned} FROM {quote('new_row')}", params


def _insert_plan(instance):
    """``(connection, fields, compiled INSERT)`` when ``insert_new`` inserts ``instance``
    itself, else None (``save()`` does)."""
    model = type(instance)
    meta = model._meta
    using = router.db_for_write(model, instance=instance)
    if (
        using != DEFAULT_DB_ALIAS
        or not instance._state.adding
        or instance._is_pk_set(meta)
        or meta.parents
        or meta.proxy
        or meta.auto_created
        or meta.auto_field is None
    ):
        return None
    fields = [f for f in meta.local_concrete_fields if f is not meta.auto_field]
    connection_ = connections[using]
    if any(map(_not_a_value, _attributes(instance, fields))):
        return None
    plans = _INSERTS.setdefault(connection_, {})
    if model not in plans:
        plans[model] = _compile_insert(model, instance, fields, connection_)
    plan = plans[model]
    return None if plan is None else (connection_, fields, plan)


def _pre_save(instance, fields, connection_) -> list:
    """What ``save()`` does before its INSERT: the related fields checked, ``pre_save`` sent,
    each field's value prepared. Returns the INSERT's params."""
    model = type(instance)
    instance._prepare_related_fields_for_save(operation_name="save")
    pre_save.send(
        sender=model, instance=instance, raw=False, using=connection_.alias, update_fields=None
    )
    values = [field.pre_save(instance, add=True) for field in fields]
    if any(map(_not_a_value, values)):
        raise ValueError(f"insert_new: a pre_save receiver set an expression on {instance!r}")
    return [
        f.get_db_prep_save(v, connection=connection_) for f, v in zip(fields, values, strict=True)
    ]


def _post_save(instance, rows, plan, connection_) -> None:
    """What ``save()`` does after its INSERT: the returned columns set, the instance saved on
    its database, ``post_save`` sent."""
    _, returning_fields, _, converters, compiler = plan
    if converters:
        rows = list(compiler.apply_converters(rows, converters))
    instance._assign_returned_values(rows[0], returning_fields)
    instance._state.db = connection_.alias
    instance._state.adding = False
    post_save.send(
        sender=type(instance),
        instance=instance,
        created=True,
        update_fields=None,
        raw=False,
        using=connection_.alias,
    )


def _compile_insert(model, instance, fields, connection_):
    """The INSERT ``save()`` runs for ``instance`` (its SQL, the returned fields, their params
    and converters), or None when its SQL takes anything but each field's prepared value as one
    plain parameter, in field order (``VALUES (%s, …)``)."""
    from django.db.models.sql import InsertQuery

    meta = model._meta
    if any(
        f.generated or f.has_db_default() or getattr(f, "get_placeholder_sql", None)
        for f in meta.local_concrete_fields
    ):
        return None
    if not connection_.features.can_return_columns_from_insert:
        return None
    returning_fields = list(meta.db_returning_fields)
    query = InsertQuery(model)
    # ``raw``: the instance's values as they are (no ``pre_save``): only the SQL is kept.
    query.insert_values(fields, [instance], raw=True)
    compiler = query.get_compiler(connection=connection_)
    compiler.returning_fields = returning_fields
    [(sql, compiled)] = compiler.as_sql()
    returning_params = tuple(compiler.returning_params)
    values = "VALUES (" + ", ".join(["%s"] * len(fields)) + ")"
    if sql.count("%s") != len(compiled) or len(compiled) != len(fields) + len(returning_params):
        return None
    if sql.count(values) != 1 or sql.count("%s") != len(fields) + len(returning_params):
        return None
    columns = [field.get_col(meta.db_table) for field in returning_fields]
    return sql, returning_fields, returning_params, compiler.get_converters(columns), compiler


# --- Django REST framework ----------------------------------------------------------------------


def _unbound_copy(field: serializers.Field) -> serializers.Field:
    """A copy of a field built once per serializer class, for one serializer to bind. Until
    ``bind()`` sets its name and parent (on the copy), a plain field holds nothing but what its
    constructor set (validators, messages, choices, a queryset: read, never changed), so a
    shallow copy will do; a field holding other fields is deep-copied, as DRF copies declared
    fields."""
    if isinstance(field, serializers.BaseSerializer) or any(
        hasattr(field, name) for name in ("child", "child_relation")
    ):
        return copy.deepcopy(field)
    # What ``copy.copy`` does for a field (no ``__copy__``; its state is its ``__dict__``),
    # without ``__reduce_ex__``'s round trip: a few µs for each of ~55 fields per request.
    copied = type(field).__new__(type(field))
    copied.__dict__.update(field.__dict__)
    return copied


class ClassFieldsMixin:
    """For a ``ModelSerializer``: its fields built once per class. ``get_fields`` reads the
    model's fields anew for every serializer; they depend on the class only, so each serializer
    gets copies of the class's fields to bind (``_unbound_copy``)."""

    def get_fields(self):
        cls = type(self)
        fields = cls.__dict__.get("_fields_of_class")
        if fields is None:
            fields = super().get_fields()
            cls._fields_of_class = fields
        return {name: _unbound_copy(field) for name, field in fields.items()}


# --- Django model validation --------------------------------------------------------------------


def loaded_relations(instance) -> list[str]:
    """The foreign keys of ``instance`` that hold an object read from the database (the request
    user, a use case the caller loaded and checked, a model change looked up or validated by a
    form or serializer): pass them as ``full_clean(exclude=...)`` so it need not read each of
    them again to see it exists."""
    names = []
    for field in instance._meta.concrete_fields:
        if not (field.many_to_one and field.is_cached(instance)):
            continue
        related = field.get_cached_value(instance)
        if (
            related is not None
            and not related._state.adding
            and related.pk is not None
            and related.pk == getattr(instance, field.attname)
        ):
            names.append(field.name)
    return names
