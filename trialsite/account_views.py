from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from trialsite.access import requires
from trialsite.roles import Cap


@requires(Cap.OWN_TOKEN)
def profile(request: HttpRequest) -> HttpResponse:
    return render(request, "account/profile.html", {})
