"""Template helpers of the subjects pages."""

from django import template
from django.template import TemplateDoesNotExist

register = template.Library()


@register.simple_tag(takes_context=True)
def include_if_exists(context, template_name: str):
    """Render `template_name` with the current context, or nothing when no such template exists.

    The participant page offers include points for the other apps (PASI, dosing, safety) that
    may not be installed or built yet; a missing template must not break the page.
    """
    try:
        included = context.template.engine.get_template(template_name)
    except TemplateDoesNotExist:
        return ""
    with context.push():
        return included.render(context)


@register.simple_tag
def next_form_label(participant, visit_code: str, form: str) -> str:
    """The name of the form entered after `form` at this visit ("" when it is the last one)."""
    from subjects import flow  # the template library loads before the app registry is ready

    following = flow.next_form(participant, visit_code, form)
    if following is None or flow.form_url(following, participant, visit_code) is None:
        return ""
    return str(flow.FORM_LABELS[following])
