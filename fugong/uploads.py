"""Request bodies refused by their declared size before anything reads them (413).

Django reads a body the first time something asks for request.POST or request.FILES, and
CsrfViewMiddleware asks before any view runs; file parts are streamed to temporary files whatever
their size. A view's own size check therefore came after the whole upload was on disk. This
middleware sits in front of CsrfViewMiddleware and refuses a body whose Content-Length is larger
than its view takes. That bound holds for every body: under WSGI Django reads no further than the
declared length (wsgi.input is wrapped in a LimitedStream of it), and a body sent without one
(chunked) is read as empty.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme

from problems.files import MAX_PER_PROBLEM

MIB = 1024 * 1024
PROBLEMS_API = "/api/v1/problems/"
MARGIN = 64 * 1024  # the form's other fields and the multipart boundaries around the files


def largest_upload(request: HttpRequest) -> int:
    """The most file bytes the request's view takes: a spreadsheet (FUGONG_UPLOAD_MAX_BYTES), or
    a problem's attachment (FUGONG_ATTACHMENT_MAX_BYTES; the new-problem form takes several)."""
    match = request.resolver_match
    if match is not None and (
        match.app_name == "problems" or request.path.startswith(PROBLEMS_API)
    ):
        files = MAX_PER_PROBLEM if match.view_name == "problems:new" else 1
        return files * settings.FUGONG_ATTACHMENT_MAX_BYTES
    return settings.FUGONG_UPLOAD_MAX_BYTES


def too_large(request: HttpRequest, largest: int) -> HttpResponse:
    """413 in both languages: a short page, or {"detail": …} under /api/ (as fugong.errors does)."""
    mb = f"{largest / MIB:g}"
    message = f"文件超过{mb} MB上限 (the upload is larger than {mb} MB)"
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=413)
    # Back to the page the upload came from (this address only takes POST: "try again" would not)
    back = request.META.get("HTTP_REFERER", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        back = "/"
    page = loader.render_to_string("error.html", {"status": 413, "message": message, "back": back})
    return HttpResponse(page, status=413)


class UploadLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view, args, kwargs) -> HttpResponse | None:
        # In process_view, not __call__: the limit depends on the view. Nothing before this
        # (sessions, locale, CSRF's process_request) reads the body.
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return None  # Django reads such a body as empty
        largest = largest_upload(request)
        if declared > largest + MARGIN:
            return too_large(request, largest)
        return None
