"""Plugin for `tests/tests/adversarial_host_names.rs`."""

import names_app

import pime

broker = pime.Broker()


@broker.command
def hello():
    return names_app.hello()


@broker.command
def pime_still_works():
    import pime as again

    return [again is pime, hasattr(again, "Broker"), hasattr(again, "HostError")]
