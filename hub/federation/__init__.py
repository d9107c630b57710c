"""Federation (上下贯通): hubs exchange with each other and share supervision models.

A hub connects to another hub only through the mechanisms any partner uses: it is
registered there as a partner (its own key pair, clearance, jurisdiction, purposes),
applies for grants that two officers approve, and pulls datasets with the ``huitong``
connector (``connectors.kinds.huitong``), verifying every signed receipt.  What this
package adds is the sharing of models (模型共建共享):

* ``identity`` — the hub's federation identity: a name and an Ed25519 key (the
  ``identity`` purpose of ``hub.keys``) whose public half is published at
  ``/.well-known/hub-identity.json``;
* ``publishers`` — other hubs this hub trusts as model publishers, registered by two
  officers who sign the publisher's name, keys and URL;
* ``manifest``, ``safety``, ``contract`` — what a model package holds (SQLMesh models,
  unit tests, thresholds as variables, input contract in catalog terms, Chinese
  description, version) and the checks it must pass;
* ``packages`` — a package as a signed document (``hub model publish``) and its
  verification against the trusted publishers;
* ``install`` — ``hub model install``: signature, publisher, revocations, safety,
  input contract, unit tests, then the package joins the local SQLMesh project
  (``local``) and produces ``clues.<name>`` at the next ``hub run``;
* ``revocations`` — ``hub model revoke`` (signed by the publisher) and ``hub model
  sync`` (installing hubs fetch and honour them).

docs/federation.md walks a county hub and a province hub through all of it.
"""
