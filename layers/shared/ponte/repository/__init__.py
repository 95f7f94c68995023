"""DynamoDB single-table access. ``keys`` owns every key format; nothing else builds keys."""
