"""The application's URL map plus `bare/`: a Django view that inserts one row into a plain table,
the floor for a write request on the same server (bench.report_api)."""

import json

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from fugong.urls import urlpatterns as app_urlpatterns

TABLE = "bench_bare_request"


@csrf_exempt
def bare(request: HttpRequest) -> JsonResponse:
    body = json.loads(request.body)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (enterprise, date, body) VALUES (%s, %s, %s) RETURNING id",  # noqa: S608
            [body["enterprise"], body["date"], request.body.decode()],
        )
        (pk,) = cursor.fetchone()
    return JsonResponse({"id": pk}, status=201)


urlpatterns = [path("bare/", bare), *app_urlpatterns]
