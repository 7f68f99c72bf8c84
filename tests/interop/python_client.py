"""Interop check with a third-party client: the official Python MCP SDK drives backup-mcp.

Usage: python_client.py PATH_TO_BINARY
Runs initialize, tools/list and tool calls; exits non-zero on any mismatch.
"""

import asyncio
import json
import os
import sys
import tempfile

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

EXPECTED_TOOLS = {"system_info", "list_servers", "server_health", "disconnect_server"}


async def main(binary: str) -> None:
    with tempfile.TemporaryDirectory() as home:
        creds = os.path.join(home, "credentials.json")
        # The SDK passes only a minimal environment unless given one explicitly.
        env = {"PATH": os.environ.get("PATH", ""), "HOME": home, "BACKUP_MCP_CREDENTIALS_FILE": creds}
        params = StdioServerParameters(command=binary, args=["serve"], env=env)
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write) as session:
                init = await session.initialize()
                assert init.server_info.name == "backup-mcp", init.server_info
                print(f"initialize: protocol {init.protocol_version}, server {init.server_info.name} {init.server_info.version}")

                tools = await session.list_tools()
                names = {t.name for t in tools.tools}
                missing = EXPECTED_TOOLS - names
                assert not missing, f"missing tools: {missing}"
                assert all(t.output_schema for t in tools.tools), "a tool lacks outputSchema"
                print(f"tools/list: {len(names)} tools")

                info = await session.call_tool("system_info", {})
                assert not info.is_error, info
                data = info.structured_content
                assert data["mode"] == "read_only", data
                assert data["client"]["name"], data
                assert json.loads(info.content[0].text) == data, "text and structured content differ"
                print(f"tools/call system_info: mode={data['mode']} client={data['client']['name']}")

                bad = await session.call_tool("server_health", {"server_id": "ghost"})
                assert bad.is_error, bad
                print("tools/call server_health(ghost): isError as expected")
    print("interop: 4 passed, 0 failed")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
