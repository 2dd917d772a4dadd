from patron.assistant.tests.fakes import fake_engine

__all__ = ["fake_engine"]
