"""The evidence pack as an HTTP response, for the pages and the API alike: a ZIP built into a
temporary file, or a stored one (``EvidencePack``) streamed chunk by chunk."""

from django.http import FileResponse, StreamingHttpResponse

from . import evidence_jobs, evidence_pack

ZIP = "application/zip"


def zip_file_response(zipped, filename: str) -> FileResponse:
    """The temporary file streamed (FileResponse closes it, which deletes it)."""
    response = FileResponse(zipped, as_attachment=True, filename=filename, content_type=ZIP)
    response["Cache-Control"] = "private, no-store"
    return response


def stored_pack_response(pack) -> StreamingHttpResponse:
    response = StreamingHttpResponse(evidence_jobs.chunks(pack), content_type=ZIP)
    response["Content-Length"] = str(pack.size)
    name = evidence_pack.portfolio_filename(pack.finished_at)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response
