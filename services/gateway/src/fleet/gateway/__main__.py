from fleet.gateway.main import run

run()
