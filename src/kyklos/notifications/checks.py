"""System checks: every notice exists in every language Kyklos speaks (R12.1).

Registered by ``NotificationsConfig.ready`` (this module is imported when the checks run)."""

from django.conf import settings
from django.core.checks import Error
from django.template import TemplateDoesNotExist, TemplateSyntaxError, engines

from kyklos.notifications import events
from kyklos.notifications.rendering import PARTS, template_name


def check_notice_templates(app_configs=None, **kwargs) -> list[Error]:
    engine = engines["django"].engine
    errors = []
    for event in events.all_events():
        for language, _name in settings.LANGUAGES:
            for part in PARTS:
                name = template_name(event, language, part)
                try:
                    engine.get_template(name)
                except TemplateDoesNotExist:
                    errors.append(
                        Error(
                            f"The notice template {name} is missing.",
                            hint=f"Every notice needs {' and '.join(PARTS)} "
                            "in every language of settings.LANGUAGES.",
                            obj=event,
                            id="notifications.E001",
                        )
                    )
                except TemplateSyntaxError as exc:
                    errors.append(
                        Error(
                            f"The notice template {name} does not compile: {exc}",
                            obj=event,
                            id="notifications.E002",
                        )
                    )
    return errors
