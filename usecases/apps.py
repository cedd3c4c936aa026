from django.apps import AppConfig


class UsecasesConfig(AppConfig):
    name = "usecases"
    verbose_name = "Use cases"

    def ready(self):
        from django.contrib.auth import get_user_model
        from django.db.models import IntegerField
        from django.db.models.signals import m2m_changed, pre_delete

        from .any_of import AnyOf
        from .role_changes import audit_role_groups, audit_user_deleted

        # ``pk__any_of=[…]``: a list of ids as one array on PostgreSQL (``any_of``).
        IntegerField.register_lookup(AnyOf)

        # Every change of a user's PMO/Leadership groups is audited (RoleChange), on any path.
        m2m_changed.connect(
            audit_role_groups,
            sender=get_user_model().groups.through,
            dispatch_uid="valuegate.audit_role_groups",
        )
        # A deleted user's roles and use case memberships: "taken away" rows (RoleChange).
        pre_delete.connect(
            audit_user_deleted,
            sender=get_user_model(),
            dispatch_uid="valuegate.audit_user_deleted",
        )
