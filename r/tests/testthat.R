library(testthat)
library(lronecycle)

test_check("lronecycle")
