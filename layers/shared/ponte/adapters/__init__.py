"""AWS services other than the table, behind plain functions (services never see boto3)."""
