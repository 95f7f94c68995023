"""Ponte's Docker-free local stack: the template's resources on moto, its routes over HTTP,
its Lambda functions invoked in-process (API requests, Step Functions tasks, lambda.invoke)."""
