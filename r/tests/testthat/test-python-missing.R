# Without the Python package: the message names the Python reticulate bound, says how to
# choose another, and that the session must be restarted. Run in a fresh R process whose
# RETICULATE_PYTHON is a Python without lr_one_cycle.

python_without_package <- function() {
  for (python in c("/usr/bin/python3", Sys.which("python3"))) {
    if (nzchar(python) && file.exists(python) &&
        system2(python, c("-c", shQuote("import lr_one_cycle")), stdout = FALSE,
                stderr = FALSE) != 0) {
      return(normalizePath(python))
    }
  }
  ""
}

test_that("a Python without lr_one_cycle gives instructions, not a traceback", {
  python <- python_without_package()
  if (!nzchar(python)) skip("no Python without lr_one_cycle to try")
  code <- paste(
    "library(lronecycle)",
    "cat('available:', python_available(), '\\n')",
    "tryCatch(one_cycle_schedule(max_lr = 0.1, total_steps = 10),",
    "  lronecycle_error = function(e) cat(conditionMessage(e), '\\n', e$python_type))",
    sep = "\n"
  )
  script <- tempfile(fileext = ".R")
  on.exit(unlink(script))
  writeLines(code, script)
  output <- system2(
    file.path(R.home("bin"), "Rscript"), shQuote(script), stdout = TRUE, stderr = TRUE,
    env = c(paste0("RETICULATE_PYTHON=", python),
            paste0("R_LIBS=", paste(.libPaths(), collapse = .Platform$path.sep)))
  )
  shown <- paste(output, collapse = "\n")
  expect_match(shown, "available: FALSE", fixed = TRUE)
  bound <- regmatches(shown, regexpr("from the Python this R session uses, [^:]+", shown))
  expect_identical(sub(".*uses, ", "", bound), python)
  expect_match(shown, "reticulate::use_virtualenv(", fixed = TRUE)
  expect_match(shown, paste0("RETICULATE_PYTHON is ", python, " now"), fixed = TRUE)
  expect_match(shown, sprintf("this session is bound to %s, so restart R", python), fixed = TRUE)
  expect_match(shown, "ImportError", fixed = TRUE)
  expect_false(grepl("Traceback", shown, fixed = TRUE))
})
