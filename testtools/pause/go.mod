module krm-fn.dev/testtools/pause

go 1.26.0
