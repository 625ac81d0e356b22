"""Cinder volume driver for tests: the stock fake driver, with an extend that succeeds."""
from cinder.tests import fake_driver


class ExtendableFakeDriver(fake_driver.FakeLoggingVolumeDriver):
    def extend_volume(self, volume, new_size):
        pass
