"""One module per pattern kind; each has a `Spec` model and an `inject(spec, pod)` function."""
