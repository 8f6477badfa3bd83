from fleet.executor.main import run

run()
