from fleet.notify.main import run

run()
