"""The run lifecycle every long job shares: ids, start with rollback, the lock and its
take-over, closing, and the messages of failed workflow tasks."""
