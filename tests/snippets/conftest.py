"""Snippet tests train tiny models: one intra-op thread is faster and avoids oversubscribing the
shared cores (the test machines have two). The setting is restored after each module."""
import pytest
import torch


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
