class ClientError(Exception):
    def __init__(self, error_response, operation_name):
        super().__init__(f"{error_response['Error']['Code']}: {error_response['Error'].get('Message', '')}")
        self.response = error_response
        self.operation_name = operation_name
