"""The pages of the app and the permission each needs; a role sees exactly the pages it may use."""

from __future__ import annotations

from matcher.auth import PERMISSIONS, Action, Role

# (script, title message key, icon, the action the page needs)
PAGES: tuple[tuple[str, str, str, Action], ...] = (
    ("ui/case_work/cases.py", "ui.page.cases", ":material/folder_open:", Action.CASE_READ),
    ("ui/case_work/assess.py", "ui.page.assess", ":material/edit_note:", Action.CASE_WRITE),
    ("ui/case_work/recommend.py", "ui.page.recommend", ":material/explore:", Action.CASE_READ),
    ("ui/case_work/plan.py", "ui.page.plan", ":material/handshake:", Action.CASE_READ),
    ("ui/case_work/follow_up.py", "ui.page.follow_up", ":material/trending_up:", Action.CASE_READ),
    ("ui/case_work/sig_meeting.py", "ui.page.sig_meeting", ":material/groups:", Action.SIG_MEETING),
    ("ui/local_offer/gaps.py", "ui.page.gaps", ":material/query_stats:", Action.REPORTS_READ),
    ("ui/rules/browse.py", "ui.page.rules_browse", ":material/menu_book:", Action.RULES_READ),
    ("ui/rules/edit.py", "ui.page.rules_edit", ":material/edit:", Action.RULES_WRITE),
    ("ui/models/registry.py", "ui.page.models", ":material/analytics:", Action.MODELS_MANAGE),
    ("ui/models/train.py", "ui.page.train", ":material/model_training:", Action.MODELS_MANAGE),
    ("ui/admin/users.py", "ui.page.users", ":material/group:", Action.USERS_MANAGE),
    ("ui/admin/audit.py", "ui.page.audit", ":material/verified_user:", Action.AUDIT_READ),
    ("ui/local_offer/catalogue.py", "ui.page.catalogue", ":material/storefront:", Action.CATALOGUE_READ),
)


def pages_for(role: Role) -> list[tuple[str, str, str]]:
    return [(script, title, icon) for script, title, icon, action in PAGES if action in PERMISSIONS[role]]
