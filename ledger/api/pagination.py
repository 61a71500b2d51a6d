"""The API's pages (a module of its own: DRF's settings import it before the views exist)."""

from rest_framework import pagination


class Pagination(pagination.PageNumberPagination):
    """Pages of 50 by default; `page_size` up to 100."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 100
