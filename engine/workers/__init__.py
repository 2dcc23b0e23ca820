"""The task queue: mapper's jobs as Celery tasks over a Redis broker, for several workers.

`queue:` in mapper.yaml turns it on. A task is one job (sync, re-check, backfill) for one shop;
the ledger's shop lock keeps two passes of one shop apart however many workers run, and tasks
are acknowledged late, so a job whose worker was killed is done again by another — the ledger,
not the queue, keeps every order invoiced exactly once.

  app.py      the Celery app built from the configuration
  tasks.py    the task: one job for one shop, run through engine/sync/jobs.run_job
  beat.py     the schedule `mapper beat` keeps: a sync pass per shop every hour, the nightly
              re-check
  enqueue.py  putting jobs on the queue (`mapper enqueue`)
  health.py   the worker's liveness endpoint (`GET /healthz`) for container probes

Importing this package imports Celery: the CLI loads it only for the commands that use it.
"""
