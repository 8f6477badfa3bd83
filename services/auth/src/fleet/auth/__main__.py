from fleet.auth.main import run

run()
