"""The e-mail backend of the worker tests' Celery processes (``tests.worker_support``): Django's
file-based backend with the process id in each file's name. (The settings give a backend whose
path ends in ``filebased.EmailBackend`` its ``file_path``: hence this module's name.)

Django names a file by the second and ``id(self)``. Two prefork children of one worker have the
same heap layout, so two backends made in the same second in two children can get the same name
and both append to one file; a message larger than the write buffer (the CFO report with its
XLSX and PDF) then reaches the file in interleaved pieces and cannot be read back
(``test_concurrent_runs_send_each_subscriber_one_email`` failed that way once in three CI runs:
both tasks reported one e-mail sent, the directory held fewer than two)."""

import datetime
import os

from django.core.mail.backends.filebased import EmailBackend as FileBasedBackend


class EmailBackend(FileBasedBackend):
    def _get_filename(self):
        if self._fname is None:
            timestamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
            name = f"{timestamp}-{os.getpid()}-{abs(id(self))}.log"
            self._fname = os.path.join(self.file_path, name)
        return self._fname
