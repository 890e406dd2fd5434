from trialsite.roles import CAPABILITIES, ROLE_LABELS, Cap, primary_role, user_roles


def roles(request):
    user = getattr(request, "user", None)
    held = user_roles(user) if user is not None else frozenset()
    can = {cap.value: bool(held & CAPABILITIES[cap]) for cap in Cap}
    role = primary_role(user) if user is not None else None
    return {"can": can, "role": role, "role_label": ROLE_LABELS.get(role, "")}
