"""The two shapes every row of `make bench` is measured on, as files of bench/."""

# a realistic 42-line Deployment, and a small one (one container, a port, an env variable)
SHAPES = {"42-line": "deployment.yaml", "small": "small-deployment.yaml"}
