"""The pages of the app and the permission each needs; a role sees exactly the pages it may use."""

from __future__ import annotations

from matcher.auth import PERMISSIONS, Action, Role

# (script, title message key, icon, the action the page needs, or a tuple of actions any one of which opens it)
PAGES: tuple[tuple[str, str, str, Action | tuple[Action, ...]], ...] = (
    ("ui/case_work/cases.py", "ui.page.cases", ":material/folder_open:", Action.CASE_READ),
    ("ui/case_work/assess.py", "ui.page.assess", ":material/edit_note:", Action.CASE_WRITE),
    ("ui/case_work/recommend.py", "ui.page.recommend", ":material/explore:", Action.CASE_READ),
    ("ui/case_work/plan.py", "ui.page.plan", ":material/handshake:", Action.CASE_READ),
    ("ui/case_work/follow_up.py", "ui.page.follow_up", ":material/trending_up:", Action.CASE_READ),
    ("ui/local_offer/gaps.py", "ui.page.gaps", ":material/query_stats:", Action.REPORTS_READ),
    # managers (their unit) and evaluators (aggregates, as their outcome export): store.effects.authorize_effects
    ("ui/local_offer/effects.py", "ui.page.effects", ":material/insights:", (Action.REPORTS_READ,
                                                                            Action.EXPORT_OUTCOMES)),
    ("ui/rules/browse.py", "ui.page.rules_browse", ":material/menu_book:", Action.RULES_READ),
    ("ui/rules/edit.py", "ui.page.rules_edit", ":material/edit:", Action.RULES_WRITE),
    ("ui/models/registry.py", "ui.page.models", ":material/analytics:", Action.MODELS_MANAGE),
    ("ui/models/train.py", "ui.page.train", ":material/model_training:", Action.MODELS_MANAGE),
    ("ui/admin/users.py", "ui.page.users", ":material/group:", Action.USERS_MANAGE),
    ("ui/admin/audit.py", "ui.page.audit", ":material/verified_user:", Action.AUDIT_READ),
    ("ui/local_offer/catalogue.py", "ui.page.catalogue", ":material/storefront:", Action.CATALOGUE_READ),
)


def pages_for(role: Role) -> list[tuple[str, str, str]]:
    return [(script, title, icon) for script, title, icon, needs in PAGES
            if set(needs if isinstance(needs, tuple) else (needs,)) & PERMISSIONS[role]]
