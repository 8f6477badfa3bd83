from fleet.strategy.main import run

run()
