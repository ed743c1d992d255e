"""Listeners for modal submissions, and the flows that open those modals."""
