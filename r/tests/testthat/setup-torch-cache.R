# torch (Python) makes its compiler cache in the temporary directory when an optimizer is
# built (torchinductor_<user>), which R CMD check --as-cran reports as detritus. Point
# it into this R session's own temporary directory, which R removes when the session
# ends; this runs before any test starts Python.
Sys.setenv(TORCHINDUCTOR_CACHE_DIR = file.path(tempdir(), "torchinductor"),
           TRITON_CACHE_DIR = file.path(tempdir(), "triton"))
