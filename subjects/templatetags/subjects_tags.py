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
